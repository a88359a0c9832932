// primes: count the primes in 1..N by trial division, with a pool of
// worker goroutines fed jobs of 1000 numbers from a channel; each job's
// count comes back on a results channel.  Metric: ms.  Twin of
// ../primes.c.  Usage: primes [n [workers]]
package main

import (
	"fmt"
	"sync"
	"time"
)

const jobSize = 1000

type job struct {
	lo, hi uint32 // [lo, hi)
}

func isPrime(n uint32) bool {
	if n < 2 {
		return false
	}
	if n%2 == 0 {
		return n == 2
	}
	for d := uint32(3); d*d <= n; d += 2 {
		if n%d == 0 {
			return false
		}
	}
	return true
}

func worker(jobs <-chan job, results chan<- int, wg *sync.WaitGroup) {
	for j := range jobs {
		count := 0
		for i := j.lo; i < j.hi; i++ {
			if isPrime(i) {
				count++
			}
		}
		results <- count
	}
	wg.Done()
}

// feed hands out the jobs, then closes the channel so the workers stop.
func feed(jobs chan<- job, n int) {
	for lo := 1; lo <= n; lo += jobSize {
		hi := lo + jobSize
		if hi > n+1 {
			hi = n + 1
		}
		jobs <- job{uint32(lo), uint32(hi)}
	}
	close(jobs)
}

func main() {
	n := argInt(1, 5000000)
	workers := argInt(2, 4)
	njobs := (n + jobSize - 1) / jobSize
	jobs := make(chan job, 64)
	results := make(chan int, 64)
	var wg sync.WaitGroup

	t0 := time.Now()
	wg.Add(workers)
	for k := 0; k < workers; k++ {
		go worker(jobs, results, &wg)
	}
	go feed(jobs, n)
	count := 0
	for k := 0; k < njobs; k++ {
		count += <-results
	}
	ms := float64(time.Since(t0).Nanoseconds()) / 1e6

	wg.Wait()
	fmt.Printf("primes ms=%.1f procs=%d n=%d workers=%d count=%d\n",
		ms, procs(), n, workers, count)
}
