// select4: 4 producer goroutines each send on their own unbuffered channel;
// one consumer receives with a select over the 4.
// Metric: ns per item received.  Twin of ../select4.c.
// Usage: select4 [items]
package main

import (
	"fmt"
	"sync"
	"time"
)

const nprod = 4

func produce(c chan<- int, n int, wg *sync.WaitGroup) {
	for i := 0; i < n; i++ {
		c <- i
	}
	wg.Done()
}

func main() {
	perProducer := argInt(1, 1000000) / nprod
	total := perProducer * nprod
	var chans [nprod]chan int
	for k := range chans {
		chans[k] = make(chan int)
	}
	var wg sync.WaitGroup

	t0 := time.Now()
	wg.Add(nprod)
	for k := range chans {
		go produce(chans[k], perProducer, &wg)
	}
	for i := 0; i < total; i++ {
		select {
		case <-chans[0]:
		case <-chans[1]:
		case <-chans[2]:
		case <-chans[3]:
		}
	}
	ns := float64(time.Since(t0).Nanoseconds()) / float64(total)

	wg.Wait()
	fmt.Printf("select4 ns_per_op=%.1f procs=%d n=%d\n", ns, procs(), total)
}
