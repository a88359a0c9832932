// pingpong: two goroutines bounce an int over two unbuffered channels.
// Metric: ns per round trip.  Twin of ../pingpong.c.
// Usage: pingpong [round_trips]
package main

import (
	"fmt"
	"sync"
	"time"
)

func ponger(ping <-chan int, pong chan<- int, wg *sync.WaitGroup) {
	for v := range ping {
		pong <- v
	}
	wg.Done()
}

func main() {
	n := argInt(1, 1000000)
	ping := make(chan int)
	pong := make(chan int)
	var wg sync.WaitGroup
	wg.Add(1)
	go ponger(ping, pong, &wg)

	t0 := time.Now()
	for i := 0; i < n; i++ {
		ping <- i
		<-pong
	}
	ns := float64(time.Since(t0).Nanoseconds()) / float64(n)

	close(ping)
	wg.Wait()
	fmt.Printf("pingpong ns_per_op=%.1f procs=%d n=%d\n", ns, procs(), n)
}
