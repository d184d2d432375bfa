package runner

import (
	"bytes"
	"io"
	"sync"
)

// lineWriter prefixes every line a function writes with the function's name,
// so the interleaved output of several functions stays readable. Writers
// sharing one destination share its lock, so lines never mix.
type lineWriter struct {
	dst    *lockedWriter
	prefix []byte

	mu  sync.Mutex
	buf []byte
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) write(p []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, _ = l.w.Write(p)
}

// maxLine is where a line without a newline is cut, so a function that
// writes a huge single line cannot grow the buffer without bound.
const maxLine = 64 << 10

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			if len(w.buf) < maxLine {
				return len(p), nil
			}
			i = len(w.buf) - 1
		}
		line := make([]byte, 0, len(w.prefix)+i+2)
		line = append(line, w.prefix...)
		line = append(line, w.buf[:i+1]...)
		if line[len(line)-1] != '\n' {
			line = append(line, '\n')
		}
		w.dst.write(line)
		w.buf = w.buf[i+1:]
	}
}
