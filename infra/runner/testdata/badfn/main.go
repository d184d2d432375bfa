// Command badfn does not compile, on purpose: the runner must report a build
// failure with the compiler's output and the function's name.
package main

func main() {
	var n int = "not a number"
	_ = n
}
