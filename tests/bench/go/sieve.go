// sieve: the concurrent prime sieve from the Go documentation, a daisy
// chain of filter goroutines (one per prime found) fed by a generator.
// Metric: ms to produce the first N primes.  Twin of ../sieve.c.
// Usage: sieve [n]
package main

import (
	"fmt"
	"time"
)

func generate(ch chan<- int) {
	for i := 2; ; i++ {
		ch <- i
	}
}

// filter passes on the values from in that prime does not divide.
func filter(in <-chan int, out chan<- int, prime int) {
	for {
		i := <-in
		if i%prime != 0 {
			out <- i
		}
	}
}

func main() {
	n := argInt(1, 2000)

	t0 := time.Now()
	ch := make(chan int)
	go generate(ch)
	for k := 0; k < n; k++ {
		prime := <-ch
		ch1 := make(chan int)
		go filter(ch, ch1, prime)
		ch = ch1
	}
	ms := float64(time.Since(t0).Nanoseconds()) / 1e6
	fmt.Printf("sieve ms=%.1f procs=%d n=%d\n", ms, procs(), n)
}
