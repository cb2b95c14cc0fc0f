//go:build ignore

// Command floor-go is the Go-runtime version of the "physical floor" of
// host-metric collection: once per interval it opens, reads and closes the
// /proc files a host-metrics agent needs (CPU, memory, load, disk I/O,
// network, its own process stats) into a reused buffer and parses every
// decimal number in them, with no export and no formatting. It shows what the
// Go runtime alone adds over the C floor. Used by peers.sh; built into a temp
// dir, never committed as a binary.
//
// usage: floor-go INTERVAL_MS MAX_ITERATIONS   (stops after MAX_ITERATIONS or on SIGTERM)
// prints "values=N" once (numbers parsed in one collection) to stdout.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

var files = []string{
	"/proc/stat", "/proc/meminfo", "/proc/loadavg", "/proc/diskstats",
	"/proc/net/dev", "/proc/self/stat", "/proc/self/status",
}

var buf = make([]byte, 1<<16)

// readParse reads one file and returns how many numbers it parsed and their sum.
func readParse(path string) (count int, sum uint64) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0
	}
	n := 0
	for n < len(buf) {
		m, err := f.Read(buf[n:])
		n += m
		if err != nil || m == 0 {
			break
		}
	}
	f.Close()
	var v uint64
	inNum := false
	for _, c := range buf[:n] {
		if c >= '0' && c <= '9' {
			v = v*10 + uint64(c-'0')
			inNum = true
		} else if inNum {
			sum += v
			v = 0
			inNum = false
			count++
		}
	}
	if inNum {
		sum += v
		count++
	}
	return count, sum
}

var sink uint64

func main() {
	intervalMS, maxIter := 1000, 120
	if len(os.Args) > 1 {
		if v, err := strconv.Atoi(os.Args[1]); err == nil && v > 0 {
			intervalMS = v
		}
	}
	if len(os.Args) > 2 {
		if v, err := strconv.Atoi(os.Args[2]); err == nil {
			maxIter = v
		}
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	tick := time.NewTicker(time.Duration(intervalMS) * time.Millisecond)
	defer tick.Stop()
	for it := 0; it < maxIter; it++ {
		total := 0
		for _, p := range files {
			c, s := readParse(p)
			total += c
			sink += s
		}
		if it == 0 {
			fmt.Printf("values=%d\n", total)
		}
		select {
		case <-stop:
			return
		case <-tick.C:
		}
	}
}
