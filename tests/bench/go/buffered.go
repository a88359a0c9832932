// buffered: P producers and C consumers (4 and 4 by default) share one
// channel with a buffer of 1024.  Metric: ns per item, from the first
// spawn until every consumer has seen the close.  Twin of ../buffered.c.
// Usage: buffered [items [producers [consumers]]]
package main

import (
	"fmt"
	"os"
	"sync"
	"time"
)

const capacity = 1024

func produce(c chan<- int, n int, wg *sync.WaitGroup) {
	for i := 0; i < n; i++ {
		c <- i
	}
	wg.Done()
}

func consume(c <-chan int, received *int, wg *sync.WaitGroup) {
	n := 0
	for range c {
		n++
	}
	*received = n
	wg.Done()
}

func main() {
	nprod := argInt(2, 4)
	ncons := argInt(3, 4)
	perProducer := argInt(1, 4000000) / nprod
	total := perProducer * nprod
	c := make(chan int, capacity)
	var producers, consumers sync.WaitGroup
	received := make([]int, ncons)

	t0 := time.Now()
	consumers.Add(ncons)
	for k := 0; k < ncons; k++ {
		go consume(c, &received[k], &consumers)
	}
	producers.Add(nprod)
	for k := 0; k < nprod; k++ {
		go produce(c, perProducer, &producers)
	}
	producers.Wait()
	close(c)
	consumers.Wait()
	ns := float64(time.Since(t0).Nanoseconds()) / float64(total)

	sum := 0
	for _, n := range received {
		sum += n
	}
	if sum != total {
		fmt.Fprintf(os.Stderr, "buffered: received %d of %d items\n", sum, total)
		os.Exit(1)
	}
	fmt.Printf("buffered ns_per_op=%.1f procs=%d producers=%d consumers=%d n=%d\n",
		ns, procs(), nprod, ncons, total)
}
