// spawn: start N goroutines that each only call wg.Done, then wait for them
// all.  Repeated for a few rounds; metric: the median round's ns per
// goroutine.  Twin of ../spawn.c.  Usage: spawn [n [rounds]]
package main

import (
	"fmt"
	"sync"
	"time"
)

func child(wg *sync.WaitGroup) {
	wg.Done()
}

func main() {
	n := argInt(1, 1000000)
	rounds := argInt(2, 3)
	elapsed := make([]int64, rounds)
	var wg sync.WaitGroup

	for r := 0; r < rounds; r++ {
		t0 := time.Now()
		wg.Add(n)
		for i := 0; i < n; i++ {
			go child(&wg)
		}
		wg.Wait()
		elapsed[r] = time.Since(t0).Nanoseconds()
	}
	fmt.Printf("spawn ns_per_op=%.1f procs=%d n=%d rounds=%d\n",
		median(elapsed)/float64(n), procs(), n, rounds)
}
