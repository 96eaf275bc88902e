// Command gittestserver serves the git repositories under a directory over smart HTTP with Flux's own test git
// server (github.com/fluxcd/pkg/gittestserver, which Flux's controller tests use), so that the real
// source-controller clones from it in netweave's tests (tests/flux_real_harness.py). A push to a path that does
// not exist yet creates the repository there. It prints the base URL on its first stdout line and serves until
// it is sent SIGTERM or SIGINT.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/fluxcd/pkg/gittestserver"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gittestserver DIR")
		os.Exit(2)
	}
	server := gittestserver.NewGitServer(os.Args[1]).AutoCreate()
	if err := server.StartHTTP(); err != nil {
		fmt.Fprintln(os.Stderr, "gittestserver:", err)
		os.Exit(1)
	}
	defer server.StopHTTP()
	fmt.Println(server.HTTPAddress())
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	<-stop
}
