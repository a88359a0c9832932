// semwake: the cost of a wake through the semaphore table while many
// other goroutines are blocked in it.  N goroutines block at once, half
// each on a WaitGroup of its own, half each on a Mutex of its own; then
// two goroutines wake each other through two WaitGroups, R round trips.
// Metric: ns per wake (a round trip is two).  Twin of ../semwake.c.
// Usage: semwake [blocked [round_trips]]
package main

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	blocked := argInt(1, 100000)
	rounds := argInt(2, 1000000)
	wgs := make([]sync.WaitGroup, blocked/2+1)
	mus := make([]sync.Mutex, blocked/2+1)
	var nblocked int64
	var woken, ping, pong sync.WaitGroup

	woken.Add(blocked)
	for i := 0; i < blocked; i++ {
		if i%2 == 0 {
			wgs[i/2].Add(1)
		} else {
			mus[i/2].Lock()
		}
		go func(i int) {
			atomic.AddInt64(&nblocked, 1)
			if i%2 == 0 {
				wgs[i/2].Wait()
			} else {
				mus[i/2].Lock()
				mus[i/2].Unlock()
			}
			woken.Done()
		}(i)
	}
	for atomic.LoadInt64(&nblocked) < int64(blocked) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond)

	ping.Add(1)
	go func() {
		for i := 0; i < rounds; i++ {
			ping.Wait()
			ping.Add(1)
			pong.Done()
		}
	}()
	t0 := time.Now()
	for i := 0; i < rounds; i++ {
		pong.Add(1)
		ping.Done()
		pong.Wait()
	}
	ns := float64(time.Since(t0).Nanoseconds()) / float64(2*rounds)

	for i := 0; i < blocked; i++ {
		if i%2 == 0 {
			wgs[i/2].Done()
		} else {
			mus[i/2].Unlock()
		}
	}
	woken.Wait()
	fmt.Printf("semwake ns_per_op=%.1f procs=%d blocked=%d rounds=%d\n", ns, procs(), blocked, rounds)
}
