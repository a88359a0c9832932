// mutex: N goroutines each increment a shared counter under one
// sync.Mutex, n increments in total (contended Mutex).  Metric: ns per
// increment, the elapsed time over n.  Twin of ../mutex.c.
// Usage: mutex [total_increments [goroutines]]
package main

import (
	"fmt"
	"os"
	"sync"
	"time"
)

func main() {
	n := argInt(1, 10000000)
	workers := argInt(2, 2)
	per := n / workers
	var mu sync.Mutex
	var wg sync.WaitGroup
	counter := 0

	t0 := time.Now()
	wg.Add(workers)
	for k := 0; k < workers; k++ {
		go func() {
			for i := 0; i < per; i++ {
				mu.Lock()
				counter++
				mu.Unlock()
			}
			wg.Done()
		}()
	}
	wg.Wait()
	ns := float64(time.Since(t0).Nanoseconds()) / float64(per*workers)
	if counter != per*workers {
		fmt.Fprintf(os.Stderr, "mutex: counter %d, want %d\n", counter, per*workers)
		os.Exit(1)
	}
	fmt.Printf("mutex ns_per_op=%.1f procs=%d workers=%d n=%d\n", ns, procs(), workers, per*workers)
}
