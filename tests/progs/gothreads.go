// SPDX-License-Identifier: GPL-2.0
//
// gothreads: a Go program (many OS threads of the Go runtime) checked from
// inside at home, away and back (tests/70-threads.py). Built by the
// Makefile only when `go` is installed.
//
//	gothreads [PHASES [N]]     defaults 3 and 4
//
// N goroutines, each locked to its OS thread, pass a token round-robin
// over channels, counting passes under a sync.Mutex; a goroutine reads a
// pipe the main goroutine writes once per phase. Prints "tids ring=T,.."
// and "ready PID", then per SIGUSR1: "phase N", "ok WHAT"/"bad WHAT: why"
// lines, "done N". Each phase checks that the token moves, that the
// passes equal the sum of the per-goroutine counts, that each locked
// goroutine's gettid() is that of phase 1 and that the pipe read gets the
// phase's message. Exit status 0, 1 when a check failed.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

var bad int

func check(ok bool, what string, why string, args ...interface{}) {
	if ok {
		fmt.Printf("ok %s\n", what)
		return
	}
	bad++
	fmt.Printf("bad %s: %s\n", what, fmt.Sprintf(why, args...))
}

func main() {
	phases, n := 3, 4
	if len(os.Args) > 1 {
		phases, _ = strconv.Atoi(os.Args[1])
	}
	if len(os.Args) > 2 {
		n, _ = strconv.Atoi(os.Args[2])
	}
	usr1 := make(chan os.Signal, 4)
	signal.Notify(usr1, syscall.SIGUSR1)

	var mu sync.Mutex
	passes := 0
	counts := make([]int, n)
	tok := make([]chan int, n)
	req := make([]chan chan int, n)
	for i := range tok {
		tok[i] = make(chan int, 1)
		req[i] = make(chan chan int)
	}
	quit := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			runtime.LockOSThread()
			for {
				select {
				case t := <-tok[i]:
					mu.Lock()
					counts[i]++
					passes++
					mu.Unlock()
					time.Sleep(time.Millisecond)
					tok[(i+1)%n] <- t + 1
				case r := <-req[i]:
					r <- syscall.Gettid()
				case <-quit:
					return
				}
			}
		}(i)
	}
	tok[0] <- 0

	pr, pw, err := os.Pipe()
	if err != nil {
		panic(err)
	}
	got := make(chan string)
	go func() {
		buf := make([]byte, 64)
		for {
			k, err := pr.Read(buf)
			if err != nil {
				close(got)
				return
			}
			got <- string(buf[:k])
		}
	}()

	tids := func() []int {
		out := make([]int, n)
		for i := range out {
			r := make(chan int)
			req[i] <- r
			out[i] = <-r
		}
		return out
	}
	join := func(t []int) string {
		s := make([]string, len(t))
		for i, v := range t {
			s[i] = strconv.Itoa(v)
		}
		return strings.Join(s, ",")
	}
	first := tids()
	fmt.Printf("tids ring=%s\nready %d\n", join(first), os.Getpid())
	for phase := 1; phase <= phases; phase++ {
		<-usr1
		fmt.Printf("phase %d\n", phase)
		mu.Lock()
		before := passes
		mu.Unlock()
		moved := false
		for end := time.Now().Add(10 * time.Second); time.Now().Before(end); {
			time.Sleep(20 * time.Millisecond)
			mu.Lock()
			moved = passes != before
			mu.Unlock()
			if moved {
				break
			}
		}
		check(moved, "ring-turns", "no pass in 10 s")
		mu.Lock()
		sum := 0
		for _, c := range counts {
			sum += c
		}
		check(sum == passes, "ring-count", "%d passes, counts sum to %d", passes, sum)
		fmt.Printf("ring passes %d\n", passes)
		mu.Unlock()
		now := tids()
		check(join(now) == join(first), "ring-tids", "%s, at first %s", join(now), join(first))
		msg := fmt.Sprintf("phase %d", phase)
		pw.Write([]byte(msg))
		select {
		case s := <-got:
			check(s == msg, "reader-data", "read %q", s)
		case <-time.After(30 * time.Second):
			check(false, "reader-data", "nothing read in 30 s")
		}
		fmt.Printf("done %d\n", phase)
	}
	close(quit)
	wg.Wait()
	pw.Close()
	fmt.Printf("joined %d\n", n)
	if bad > 0 {
		os.Exit(1)
	}
}
