package runner

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Limits Lambda enforces on synchronous invocations.
const (
	maxPayload  = 6 << 20
	initTimeout = 10 * time.Second
	killWait    = 5 * time.Second
)

// Error types, as Lambda names them in an invocation's error payload.
const (
	ErrorTypeTimeout          = "Sandbox.Timedout"
	ErrorTypeExit             = "Runtime.ExitError"
	ErrorTypeInit             = "Runtime.InitError"
	ErrorTypeResponseTooLarge = "Function.ResponseSizeTooLarge"
	ErrorTypeRequestTooLarge  = "RequestTooLargeException"
)

// FunctionError is a failed invocation: an error the function returned (or
// panicked with), a timeout, or a crash. Payload is the error document Lambda
// would return, {"errorMessage", "errorType", ...}.
type FunctionError struct {
	Function string
	Type     string
	Message  string
	Payload  []byte
}

// Error describes the failure in one line.
func (e *FunctionError) Error() string {
	return fmt.Sprintf("%s: %s: %s", e.Function, e.Type, e.Message)
}

func newFunctionError(fn, typ, msg string) *FunctionError {
	payload, _ := json.Marshal(map[string]string{"errorMessage": msg, "errorType": typ})
	return &FunctionError{Function: fn, Type: typ, Message: msg, Payload: payload}
}

// invocation is one event handed to a function process.
type invocation struct {
	id       string
	payload  []byte
	deadline time.Time
	done     chan invokeResult // buffered; the Runtime API handler sends once
}

type invokeResult struct {
	payload []byte
	err     *FunctionError
}

// process is one run of a bootstrap: Lambda's execution environment.
type process struct {
	cmd     *exec.Cmd
	started time.Time
	exited  chan struct{} // closed when the process has exited
	exitErr error         // set before exited is closed

	ready   chan struct{} // closed at the first GET .../next
	readyAt time.Time     // set before ready is closed
	served  int           // invocations completed, guarded by instance.mu
	initErr *FunctionError
	once    sync.Once
}

// ColdStart is how long one process took from exec to asking for its first
// event: the part of a Lambda cold start the function's own code controls.
type ColdStart struct {
	Function string
	Duration time.Duration
	At       time.Time
}

// lambdaFunction is a function with its pool of instances.
type lambdaFunction struct {
	spec   *functionSpec
	binary string
	env    []string
	out    io.Writer
	log    *slog.Logger
	onCold func(ColdStart)

	idle      chan *instance
	instances []*instance
	closed    chan struct{}
	closeOnce sync.Once
}

// instance is one execution environment slot: a Runtime API endpoint and the
// process (if any) currently attached to it. It handles one invocation at a
// time, as a Lambda execution environment does.
type instance struct {
	fn   *lambdaFunction
	ln   net.Listener
	srv  *http.Server
	addr string
	next chan *invocation

	mu      sync.Mutex
	proc    *process
	current *invocation
}

func newLambdaFunction(spec *functionSpec, binary string, env []string, size int, out io.Writer, log *slog.Logger, onCold func(ColdStart)) (*lambdaFunction, error) {
	if size < 1 {
		size = 1
	}
	f := &lambdaFunction{
		spec: spec, binary: binary, env: env, out: out, log: log, onCold: onCold,
		idle:   make(chan *instance, size),
		closed: make(chan struct{}),
	}
	for range size {
		in, err := f.newInstance()
		if err != nil {
			f.close()
			return nil, err
		}
		f.instances = append(f.instances, in)
		f.idle <- in
	}
	return f, nil
}

func (f *lambdaFunction) newInstance() (*instance, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("%s: Runtime API listener: %w", f.spec.ID, err)
	}
	in := &instance{fn: f, ln: ln, addr: ln.Addr().String(), next: make(chan *invocation)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", in.handleNext)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", in.handleResponse)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", in.handleError)
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", in.handleInitError)
	in.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = in.srv.Serve(ln) }()
	return in, nil
}

// start launches a process on every instance, so a function that fails its
// initialisation is reported at start-up rather than at its first event.
func (f *lambdaFunction) start() error {
	var errs []error
	for _, in := range f.instances {
		in.mu.Lock()
		p, err := in.ensureProcess()
		in.mu.Unlock()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		select {
		case <-p.ready:
		case <-p.exited:
			errs = append(errs, in.initFailure(p))
		case <-time.After(initTimeout):
			in.kill(p)
			errs = append(errs, fmt.Errorf("%s did not ask for an event within %s of starting", f.spec.ID, initTimeout))
		}
	}
	return errors.Join(errs...)
}

// close stops every process and Runtime API server of the function.
func (f *lambdaFunction) close() {
	f.closeOnce.Do(func() { close(f.closed) })
	for _, in := range f.instances {
		in.mu.Lock()
		p := in.proc
		in.mu.Unlock()
		if p != nil {
			in.kill(p)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_ = in.srv.Shutdown(ctx)
		cancel()
		_ = in.srv.Close()
	}
}

// invoke runs one event through a free instance and returns the function's
// response. A function error, timeout or crash is a *FunctionError. When ctx
// ends first the invocation still runs to its end in the background (as in
// Lambda, a caller hanging up does not stop a function), and the instance is
// only freed then.
func (f *lambdaFunction) invoke(ctx context.Context, payload []byte) ([]byte, error) {
	if len(payload) > maxPayload {
		return nil, newFunctionError(f.spec.ID, ErrorTypeRequestTooLarge, fmt.Sprintf("request payload of %d bytes exceeds the %d-byte limit", len(payload), maxPayload))
	}
	var in *instance
	select {
	case in = <-f.idle:
	case <-f.closed:
		return nil, fmt.Errorf("%s: runner is shutting down", f.spec.ID)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	done := make(chan invokeResult, 1)
	go func() {
		res := in.run(payload)
		f.idle <- in
		done <- res
	}()
	select {
	case res := <-done:
		if res.err != nil {
			return nil, res.err
		}
		return res.payload, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// run hands payload to the instance's process, starting or restarting it as
// needed, and waits for the outcome, enforcing the function's timeout.
func (in *instance) run(payload []byte) invokeResult {
	f := in.fn
	inv := &invocation{id: newRequestID(), payload: payload, done: make(chan invokeResult, 1)}
	for attempt := 0; ; attempt++ {
		in.mu.Lock()
		p, err := in.ensureProcess()
		in.mu.Unlock()
		if err != nil {
			return invokeResult{err: newFunctionError(f.spec.ID, ErrorTypeInit, err.Error())}
		}
		initTimer := time.NewTimer(initTimeout)
		inv.deadline = time.Now().Add(f.spec.Timeout)
		select {
		case in.next <- inv:
			initTimer.Stop()
		case <-p.exited:
			initTimer.Stop()
			in.mu.Lock()
			served := p.served
			in.mu.Unlock()
			// A process that served events and then exited (a panic makes
			// aws-lambda-go report the error, then exit) is replaced
			// transparently, as Lambda starts a new environment; one that
			// never got going is an init failure.
			if served > 0 && attempt == 0 {
				continue
			}
			return invokeResult{err: in.initFailure(p)}
		case <-initTimer.C:
			in.kill(p)
			return invokeResult{err: newFunctionError(f.spec.ID, ErrorTypeTimeout,
				fmt.Sprintf("RequestId: %s Error: the runtime did not ask for an event within %s of starting", inv.id, initTimeout))}
		case <-f.closed:
			initTimer.Stop()
			return invokeResult{err: newFunctionError(f.spec.ID, ErrorTypeExit, "runner is shutting down")}
		}
		return in.await(inv, p)
	}
}

// await waits for the invocation's result, the function's deadline, or its
// process's death.
func (in *instance) await(inv *invocation, p *process) invokeResult {
	f := in.fn
	timer := time.NewTimer(time.Until(inv.deadline))
	defer timer.Stop()
	select {
	case res := <-inv.done:
		in.mu.Lock()
		p.served++
		in.mu.Unlock()
		return res
	case <-p.exited:
		// A runtime that reports an error and then exits (aws-lambda-go
		// does so after a panic) has delivered its result.
		select {
		case res := <-inv.done:
			return res
		default:
		}
		in.clearCurrent(inv)
		msg := fmt.Sprintf("RequestId: %s Error: Runtime exited with error: %v", inv.id, exitText(p.exitErr))
		f.log.Warn("function exited during an invocation; it starts again on the next one", "function", f.spec.ID, "error", exitText(p.exitErr))
		return invokeResult{err: newFunctionError(f.spec.ID, ErrorTypeExit, msg)}
	case <-timer.C:
		// The result may have arrived just as the timer fired.
		select {
		case res := <-inv.done:
			return res
		default:
		}
		in.kill(p)
		in.clearCurrent(inv)
		msg := fmt.Sprintf("RequestId: %s Error: Task timed out after %.2f seconds", inv.id, f.spec.Timeout.Seconds())
		f.log.Warn("function timed out; its process was stopped and starts again on the next invocation", "function", f.spec.ID, "timeout", f.spec.Timeout.String())
		return invokeResult{err: newFunctionError(f.spec.ID, ErrorTypeTimeout, msg)}
	case <-f.closed:
		in.kill(p)
		return invokeResult{err: newFunctionError(f.spec.ID, ErrorTypeExit, "runner is shutting down")}
	}
}

func (in *instance) clearCurrent(inv *invocation) {
	in.mu.Lock()
	if in.current == inv {
		in.current = nil
	}
	in.mu.Unlock()
}

// initFailure describes a process that exited before asking for an event.
func (in *instance) initFailure(p *process) *FunctionError {
	in.mu.Lock()
	initErr := p.initErr
	in.mu.Unlock()
	if initErr != nil {
		return initErr
	}
	return newFunctionError(in.fn.spec.ID, ErrorTypeExit,
		fmt.Sprintf("Runtime exited during initialisation: %s (see the function's output above)", exitText(p.exitErr)))
}

func exitText(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

// ensureProcess returns the running process, starting one if there is none
// or the last one exited. in.mu must be held.
func (in *instance) ensureProcess() (*process, error) {
	if in.proc != nil {
		select {
		case <-in.proc.exited:
		default:
			return in.proc, nil
		}
	}
	f := in.fn
	cmd := exec.Command(f.binary)
	cmd.Dir = filepath.Dir(f.binary)
	cmd.Env = append(append([]string(nil), f.env...), "AWS_LAMBDA_RUNTIME_API="+in.addr)
	cmd.Stdout = f.out
	cmd.Stderr = f.out
	cmd.WaitDelay = time.Second
	p := &process{cmd: cmd, exited: make(chan struct{}), ready: make(chan struct{})}
	p.started = time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s (%s): %w", f.spec.ID, f.binary, err)
	}
	go func() {
		p.exitErr = cmd.Wait()
		close(p.exited)
	}()
	in.proc = p
	in.current = nil
	return p, nil
}

// kill stops p and waits (boundedly) for it to exit.
func (in *instance) kill(p *process) {
	if p.cmd.Process != nil {
		_ = p.cmd.Process.Kill()
	}
	select {
	case <-p.exited:
	case <-time.After(killWait):
		in.fn.log.Error("function process did not exit after SIGKILL", "function", in.fn.spec.ID, "pid", p.cmd.Process.Pid)
	}
}

// handleNext blocks until the instance is given an invocation.
func (in *instance) handleNext(w http.ResponseWriter, r *http.Request) {
	in.mu.Lock()
	p := in.proc
	in.mu.Unlock()
	if p != nil {
		first := false
		p.once.Do(func() {
			p.readyAt = time.Now()
			close(p.ready)
			first = true
		})
		if first && in.fn.onCold != nil {
			in.fn.onCold(ColdStart{Function: in.fn.spec.ID, Duration: p.readyAt.Sub(p.started), At: p.readyAt})
		}
	}
	select {
	case inv := <-in.next:
		in.mu.Lock()
		stale := in.proc != p
		if !stale {
			in.current = inv
		}
		in.mu.Unlock()
		if stale {
			// This request came from a process that has since been
			// killed and replaced; hand the event to its successor.
			go func() {
				select {
				case in.next <- inv:
				case <-in.fn.closed:
				}
			}()
			return
		}
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Lambda-Runtime-Aws-Request-Id", inv.id)
		h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(inv.deadline.UnixMilli(), 10))
		h.Set("Lambda-Runtime-Invoked-Function-Arn", in.fn.spec.ARN)
		h.Set("Lambda-Runtime-Trace-Id", newTraceID())
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(inv.payload)
	case <-r.Context().Done():
	case <-in.fn.closed:
		http.Error(w, `{"errorMessage":"runner is shutting down"}`, http.StatusGone)
	}
}

// take removes and returns the current invocation if its id is id.
func (in *instance) take(id string) *invocation {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.current == nil || in.current.id != id {
		return nil
	}
	inv := in.current
	in.current = nil
	return inv
}

func runtimeAPIError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"errorType": typ, "errorMessage": msg})
}

func accepted(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	_, _ = io.WriteString(w, `{"status":"OK"}`)
}

func (in *instance) handleResponse(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	body, err := io.ReadAll(io.LimitReader(r.Body, maxPayload+1))
	if err != nil {
		runtimeAPIError(w, http.StatusBadRequest, "InvalidRequest", err.Error())
		return
	}
	inv := in.take(id)
	if inv == nil {
		runtimeAPIError(w, http.StatusBadRequest, "InvalidRequestID", "no invocation "+id+" is in progress")
		return
	}
	fn := in.fn.spec.ID
	switch {
	case len(body) > maxPayload:
		inv.done <- invokeResult{err: newFunctionError(fn, ErrorTypeResponseTooLarge,
			fmt.Sprintf("Response payload size exceeded maximum allowed payload size (%d bytes).", maxPayload))}
		runtimeAPIError(w, http.StatusRequestEntityTooLarge, ErrorTypeResponseTooLarge, "response too large")
		return
	case r.Trailer.Get("Lambda-Runtime-Function-Error-Type") != "":
		// A streamed response that failed midway reports its error in trailers.
		payload, _ := base64.StdEncoding.DecodeString(r.Trailer.Get("Lambda-Runtime-Function-Error-Body"))
		inv.done <- invokeResult{err: parseFunctionError(fn, r.Trailer.Get("Lambda-Runtime-Function-Error-Type"), payload)}
	default:
		inv.done <- invokeResult{payload: body}
	}
	accepted(w)
}

func (in *instance) handleError(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxPayload))
	inv := in.take(id)
	if inv == nil {
		runtimeAPIError(w, http.StatusBadRequest, "InvalidRequestID", "no invocation "+id+" is in progress")
		return
	}
	inv.done <- invokeResult{err: parseFunctionError(in.fn.spec.ID, r.Header.Get("Lambda-Runtime-Function-Error-Type"), body)}
	accepted(w)
}

func (in *instance) handleInitError(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxPayload))
	fe := parseFunctionError(in.fn.spec.ID, r.Header.Get("Lambda-Runtime-Function-Error-Type"), body)
	in.mu.Lock()
	if in.proc != nil {
		in.proc.initErr = fe
	}
	in.mu.Unlock()
	in.fn.log.Error("function reported an initialisation error", "function", in.fn.spec.ID, "errorType", fe.Type, "errorMessage", fe.Message)
	accepted(w)
}

// parseFunctionError reads the runtime's error document; a body that is not
// one is kept as the message.
func parseFunctionError(fn, headerType string, body []byte) *FunctionError {
	var doc struct {
		Message string `json:"errorMessage"`
		Type    string `json:"errorType"`
	}
	if json.Unmarshal(body, &doc) != nil {
		doc.Message = strings.TrimSpace(string(body))
	}
	if doc.Type == "" {
		doc.Type = headerType
	}
	if doc.Type == "" {
		doc.Type = "Unhandled"
	}
	fe := &FunctionError{Function: fn, Type: doc.Type, Message: doc.Message, Payload: body}
	if !json.Valid(body) {
		fe.Payload, _ = json.Marshal(map[string]string{"errorMessage": doc.Message, "errorType": doc.Type})
	}
	return fe
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// newTraceID returns an X-Ray trace header like Lambda's.
func newTraceID() string {
	var b [20]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return fmt.Sprintf("Root=1-%08x-%s;Parent=%s;Sampled=0", time.Now().Unix(), h[:24], h[24:40])
}
