// parked: N goroutines each block receiving on one shared channel.
// Metrics: resident memory per parked goroutine (the /proc/self/statm RSS
// once all are parked, minus the RSS before spawning, over N), the time to
// spawn them until all are parked, and the time to wake and join them all
// after the channel is closed.  Twin of ../parked.c.  Usage: parked [n]
package main

import (
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

func parker(c <-chan struct{}, ready *int64, wg *sync.WaitGroup) {
	// Counted before it blocks: main waits a little after the count is
	// complete so that the last few have really parked.
	atomic.AddInt64(ready, 1)
	if _, ok := <-c; ok {
		fmt.Fprintln(os.Stderr, "parked: woken without the close")
		os.Exit(1)
	}
	wg.Done()
}

func main() {
	n := argInt(1, 1000000)
	c := make(chan struct{})
	var ready int64
	var wg sync.WaitGroup
	rss0 := rssBytes()

	t0 := time.Now()
	wg.Add(n)
	for i := 0; i < n; i++ {
		go parker(c, &ready, &wg)
	}
	for atomic.LoadInt64(&ready) < int64(n) {
		time.Sleep(time.Millisecond)
	}
	spawn := time.Since(t0)
	time.Sleep(20 * time.Millisecond)
	rssPer := (rssBytes() - rss0) / int64(n)

	t0 = time.Now()
	close(c)
	wg.Wait()
	join := time.Since(t0)
	fmt.Printf("parked rss_bytes_per=%d spawn_ms=%.1f join_ms=%.1f procs=%d n=%d\n",
		rssPer, float64(spawn.Nanoseconds())/1e6,
		float64(join.Nanoseconds())/1e6, procs(), n)
}
