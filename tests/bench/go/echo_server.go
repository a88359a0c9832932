// echo_server: a TCP echo server, one goroutine per connection.  Twin of
// ../../../examples/echo_server.c: same protocol (every byte read is
// written back), same 4 KiB buffer, same output, same options; the
// benchmark (../echo.sh) drives both with examples/echo_client.
//
// Usage: echo_server [PORT] [--max-conns N]
//
// PORT 0 lets the kernel choose; the chosen port is printed.  With
// --max-conns the server stops accepting after N connections, waits for
// them to close, prints a summary and exits.
//
// Built alone (go build -o OUT echo_server.go): it needs nothing from
// benchutil.go.
package main

import (
	"fmt"
	"net"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

type server struct {
	conns  sync.WaitGroup
	served int64
	bytes  int64
}

func (s *server) serveConn(c net.Conn) {
	defer s.conns.Done()
	// TCP_NODELAY is Go's default for TCP connections, as in the C server.
	buf := make([]byte, 4096)
	var echoed int64
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if _, werr := c.Write(buf[:n]); werr != nil {
				break
			}
			echoed += int64(n)
		}
		if err != nil {
			break
		}
	}
	c.Close()
	atomic.AddInt64(&s.bytes, echoed)
	atomic.AddInt64(&s.served, 1)
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: echo_server [PORT] [--max-conns N]")
	os.Exit(2)
}

func main() {
	port, maxConns := 7777, 0
	for i := 1; i < len(os.Args); i++ {
		a := os.Args[i]
		if a == "--max-conns" && i+1 < len(os.Args) {
			v, err := strconv.Atoi(os.Args[i+1])
			if err != nil || v <= 0 {
				usage()
			}
			maxConns = v
			i++
			continue
		}
		v, err := strconv.Atoi(a)
		if err != nil || v < 0 || v > 65535 {
			usage()
		}
		port = v
	}

	ln, err := net.Listen("tcp4", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		fmt.Fprintf(os.Stderr, "echo_server: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("echo_server: listening on 127.0.0.1:%d (GOMAXPROCS=%d)\n",
		ln.Addr().(*net.TCPAddr).Port, runtime.GOMAXPROCS(0))

	s := &server{}
	for accepted := 0; maxConns == 0 || accepted < maxConns; {
		c, err := ln.Accept()
		if err != nil {
			fmt.Fprintf(os.Stderr, "echo_server: accept: %v\n", err)
			time.Sleep(10 * time.Millisecond) // as the C server on EMFILE
			continue
		}
		accepted++
		s.conns.Add(1)
		go s.serveConn(c)
	}
	ln.Close()
	s.conns.Wait()
	fmt.Printf("echo_server: served %d connections, echoed %d bytes\n",
		atomic.LoadInt64(&s.served), atomic.LoadInt64(&s.bytes))
}
