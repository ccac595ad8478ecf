//go:build !linux

package main

import "errors"

const schedBatch = 3

func batchScheduling() error { return errors.New("SCHED_BATCH needs Linux") }

func schedulingPolicy(int) (int, error) { return 0, errors.New("scheduling policies need Linux") }
