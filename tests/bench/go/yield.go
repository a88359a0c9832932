// yield: 2 goroutines call runtime.Gosched in a loop.  Metric: ns per
// switch, the elapsed time over the total number of yields.  Meant for
// GOMAXPROCS=1.  Twin of ../yield.c.  Usage: yield [yields_per_goroutine]
package main

import (
	"fmt"
	"runtime"
	"sync"
	"time"
)

const ncoro = 2

func yielder(n int, wg *sync.WaitGroup) {
	for i := 0; i < n; i++ {
		runtime.Gosched()
	}
	wg.Done()
}

func main() {
	n := argInt(1, 5000000)
	var wg sync.WaitGroup

	t0 := time.Now()
	wg.Add(ncoro)
	for k := 0; k < ncoro; k++ {
		go yielder(n, &wg)
	}
	wg.Wait()
	ns := float64(time.Since(t0).Nanoseconds()) / float64(n*ncoro)
	fmt.Printf("yield ns_per_op=%.1f procs=%d n=%d\n", ns, procs(), n*ncoro)
}
