// Package export_parigot_testing_faults is a test service in Go (world faulty): it loops,
// hogs memory or panics when asked to.
package export_parigot_testing_faults

import (
	"fmt"
	"os"
	"runtime"
	"time"

	"wit_component/parigot"
)

// pings counts calls of Ping since this instance started.
var pings uint32

// turns is global so that the compiler keeps Spin's loop.
var turns uint64

// Ping returns how many times it was called since the instance started.
func Ping() uint32 {
	parigot.AtExportEntry()
	pings++
	return pings
}

// Spin loops forever.
func Spin() uint64 {
	parigot.AtExportEntry()
	for {
		turns++
	}
}

// Hog allocates mib MiB, writes to every page, and returns the bytes allocated.
func Hog(mib uint32) uint64 {
	parigot.AtExportEntry()
	kept := make([][]byte, 0, mib)
	var total uint64
	for i := uint32(0); i < mib; i++ {
		chunk := make([]byte, 1<<20)
		for page := 0; page < len(chunk); page += 4096 {
			chunk[page] = 1
		}
		kept = append(kept, chunk)
		total += uint64(len(chunk))
	}
	runtime.KeepAlive(kept)
	return total
}

// Crash panics with message.
func Crash(message string) string {
	parigot.AtExportEntry()
	panic("asked to crash: " + message)
}

// Sleep sleeps ms milliseconds and returns ms.
func Sleep(ms uint32) uint32 {
	parigot.AtExportEntry()
	time.Sleep(time.Duration(ms) * time.Millisecond)
	return ms
}

// Flood writes lines lines to stdout, then returns lines.
func Flood(lines uint32) uint32 {
	parigot.AtExportEntry()
	for n := uint32(0); n < lines; n++ {
		fmt.Printf("flood line %d\n", n)
	}
	return lines
}

// Recurse calls itself depth deep, then returns depth.
func Recurse(depth uint32) uint32 {
	parigot.AtExportEntry()
	return deeper(depth, [256]byte{})
}

func deeper(depth uint32, frame [256]byte) uint32 {
	if depth == 0 {
		return uint32(frame[0])
	}
	return deeper(depth-1, frame) + 1
}

// OpenFiles opens up to count files in folder, keeping them open until the first refusal,
// then closes them and returns how many it opened.
func OpenFiles(folder string, count uint32) uint32 {
	parigot.AtExportEntry()
	open := []*os.File{}
	for n := uint32(0); n < count; n++ {
		file, err := os.Create(fmt.Sprintf("%s/f%d", folder, n))
		if err != nil {
			break
		}
		open = append(open, file)
	}
	for _, file := range open {
		file.Close()
	}
	return uint32(len(open))
}

// Weigh returns the sum of the bytes of data.
func Weigh(data []uint8) uint64 {
	parigot.AtExportEntry()
	var sum uint64
	for _, b := range data {
		sum += uint64(b)
	}
	return sum
}
