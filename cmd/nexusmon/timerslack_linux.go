package main

import (
	"os"
	"runtime"
	"strings"
	"syscall"
)

// daemonTimerSlack is the timer slack `nexusmon run` runs with: the kernel
// may wake any of its threads' timed sleeps up to this much late, and
// merges wake-ups that fall within it. The runtime's monitor thread
// (sysmon) sleeps 20 µs at a time while any goroutine runs or sits in a
// system call, so with the default slack of 50 µs it woke about 10 to 13
// times per system report, each wake-up a context switch; with 1 ms about
// 3 times (schedstat of that thread, docs/decisions.md). Side by side (bench/pair.sh, system report every second)
// that was 12-24 % less CPU per report. Nothing the agent does needs a
// timer finer than a millisecond: report intervals are seconds, probe and
// gateway latencies are measured from I/O events, not timers.
const daemonTimerSlack = 1_000_000 // ns

// timerSlackEnv marks the process raiseTimerSlack re-executed, so that it
// is never re-executed twice; its value is the process's name (comm)
// before: execve of /proc/self/exe names every thread "exe", and ps, top,
// pgrep and killall must still find the agent under its own name.
const timerSlackEnv = "NEXUSMON_TIMER_SLACK_SET"

const (
	prSetTimerSlack = 29 // PR_SET_TIMERSLACK
	prGetTimerSlack = 30 // PR_GET_TIMERSLACK
)

// raiseTimerSlack gives the daemon a timer slack of at least
// daemonTimerSlack. A thread's slack can only be set by the thread itself
// and is inherited by the threads it creates, and the Go runtime starts
// sysmon before any of nexusmon's code runs; so when the inherited slack is
// smaller, raiseTimerSlack sets it on the current thread and re-executes
// the binary (same pid, arguments and environment, plus timerSlackEnv),
// whose threads then all start with it: the kernel keeps the slack across
// execve. It never lowers a larger slack (systemd's TimerSlackNSec=, for
// example), and on any failure (no /proc/self/exe, execve refused) the
// agent goes on with the slack it has. Only `nexusmon run` calls it, from
// main, before any file, socket or goroutine of its own exists.
func raiseTimerSlack() {
	if name := os.Getenv(timerSlackEnv); name != "" {
		os.Unsetenv(timerSlackEnv) //nolint:errcheck // not passed on to children; it cannot fail for a valid name
		renameThreads(name)
		return
	}
	name, err := os.ReadFile("/proc/self/comm")
	if err != nil || len(name) < 2 {
		return
	}
	runtime.LockOSThread() // prctl and execve on the same thread
	defer runtime.UnlockOSThread()
	cur, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, prGetTimerSlack, 0, 0)
	if errno != 0 || cur >= daemonTimerSlack {
		return
	}
	if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, prSetTimerSlack, daemonTimerSlack, 0); errno != 0 {
		return
	}
	env := []string{timerSlackEnv + "=" + strings.TrimSuffix(string(name), "\n")}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, timerSlackEnv+"=") { // an empty one: the first of two wins
			env = append(env, kv)
		}
	}
	_ = syscall.Exec("/proc/self/exe", os.Args, env) // returns only on failure
	// Put the thread back as it was: the other threads have the old slack.
	syscall.RawSyscall(syscall.SYS_PRCTL, prSetTimerSlack, cur, 0) //nolint:errcheck // best effort
}

// renameThreads gives every thread of the process the name it had before
// the re-execution. Threads take their name from the thread that creates
// them, so once the ones that exist are renamed, later ones are named
// right; the listing is repeated until it finds no thread left to rename,
// in case the runtime started one meanwhile. A failure leaves the name
// "exe": cosmetic.
func renameThreads(name string) {
	if len(name) > 15 {
		name = name[:15] // TASK_COMM_LEN - 1
	}
	done := map[string]bool{}
	for range 4 {
		tids, err := os.ReadDir("/proc/self/task")
		if err != nil {
			return
		}
		renamed := 0
		for _, tid := range tids {
			if done[tid.Name()] {
				continue
			}
			done[tid.Name()] = true
			renamed++
			if f, err := os.OpenFile("/proc/self/task/"+tid.Name()+"/comm", os.O_WRONLY, 0); err == nil { // else it exited meanwhile
				f.WriteString(name) //nolint:errcheck // cosmetic
				f.Close()           //nolint:errcheck
			}
		}
		if renamed == 0 {
			return
		}
	}
}
