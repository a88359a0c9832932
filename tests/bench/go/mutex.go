// mutex: N goroutines each increment a shared counter under one
// sync.Mutex, n increments in total (contended Mutex).  Metrics: ns per
// increment, the elapsed time over n; and how often the holder changed,
// per 1,000 increments.  With yield_every k, the holder yields
// (runtime.Gosched) inside the critical section every k-th increment.
// Twin of ../mutex.c.
// Usage: mutex [total_increments [goroutines [yield_every]]]
package main

import (
	"fmt"
	"os"
	"runtime"
	"sync"
	"time"
)

func main() {
	n := argInt(1, 10000000)
	workers := argInt(2, 2)
	every := 0 // never
	if len(os.Args) > 3 {
		every = argInt(3, 0)
	}
	per := n / workers
	var mu sync.Mutex
	var wg sync.WaitGroup
	counter := 0
	holder, changes := 0, 0 // under mu: who incremented last, how often it changed

	t0 := time.Now()
	wg.Add(workers)
	for k := 0; k < workers; k++ {
		go func(id int) {
			for i := 0; i < per; i++ {
				mu.Lock()
				counter++
				if holder != id {
					holder = id
					changes++
				}
				if every != 0 && i%every == 0 {
					runtime.Gosched()
				}
				mu.Unlock()
			}
			wg.Done()
		}(k + 1)
	}
	wg.Wait()
	ns := float64(time.Since(t0).Nanoseconds()) / float64(per*workers)
	if counter != per*workers {
		fmt.Fprintf(os.Stderr, "mutex: counter %d, want %d\n", counter, per*workers)
		os.Exit(1)
	}
	fmt.Printf("mutex ns_per_op=%.1f changes_per_kop=%.2f procs=%d workers=%d n=%d\n",
		ns, 1000*float64(changes)/float64(counter), procs(), workers, per*workers)
}
