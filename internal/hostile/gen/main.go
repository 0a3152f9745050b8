// Command gen writes every crafted hostile file into a folder:
//
//	go run ./internal/hostile/gen -out bin/hostile
//
// The tests make the same bytes in memory; this is for the soak's mix
// (bench/load -hostile DIR) and for looking at a file by hand.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/pixmill/pixmill/internal/hostile"
)

func main() {
	out := flag.String("out", "bin/hostile", "folder to write the files into")
	flag.Parse()
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, f := range hostile.All() {
		b := f.Make()
		if err := os.WriteFile(filepath.Join(*out, f.Name), b, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Printf("%-40s %-20s %d bytes\n", f.Name, f.Class, len(b))
	}
}
