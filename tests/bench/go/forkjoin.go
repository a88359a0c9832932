// forkjoin: recursive divide and conquer, as a user would write it.  A
// node over n leaves (n > 1) spawns two goroutines, one per half, and
// waits for both on a WaitGroup of its own; a leaf counts 1.  The root's
// count must come back as n.  Metrics: ns per node (the elapsed time over
// the 2n - 1 nodes) and the peak RSS of the process (getrusage).  Twin of
// ../forkjoin.c.  Usage: forkjoin [leaves]
package main

import (
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"
)

func node(n int, sum *int, done *sync.WaitGroup) {
	if n == 1 {
		*sum = 1
	} else {
		var wg sync.WaitGroup
		var left, right int
		wg.Add(2)
		go node(n/2, &left, &wg)
		go node(n-n/2, &right, &wg)
		wg.Wait()
		*sum = left + right
	}
	done.Done()
}

func main() {
	leaves := argInt(1, 1000000)
	var wg sync.WaitGroup
	sum := 0

	t0 := time.Now()
	wg.Add(1)
	go node(leaves, &sum, &wg)
	wg.Wait()
	elapsed := time.Since(t0).Nanoseconds()
	if sum != leaves {
		fmt.Fprintf(os.Stderr, "forkjoin: counted %d of %d leaves\n", sum, leaves)
		os.Exit(1)
	}
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	fmt.Printf("forkjoin ns_per_op=%.1f peak_rss_kb=%d procs=%d leaves=%d\n",
		float64(elapsed)/float64(2*leaves-1), ru.Maxrss, procs(), leaves)
}
