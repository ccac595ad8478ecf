package php

// natCompare is PHP's strnatcmp (case-sensitive), which natsort uses: runs
// of digits compare by value, so "9.config.php" sorts before "10.config.php".
func natCompare(a, b string) int {
	if a == "" || b == "" {
		return compareInts(len(a), len(b))
	}
	at := func(s string, i int) byte {
		if i < len(s) {
			return s[i]
		}
		return 0
	}
	ai, bi := 0, 0
	for leading := true; ; leading = false {
		ca, cb := at(a, ai), at(b, bi)
		for leading && ca == '0' && isDigit(at(a, ai+1)) {
			ai++
			ca = at(a, ai)
		}
		for leading && cb == '0' && isDigit(at(b, bi+1)) {
			bi++
			cb = at(b, bi)
		}
		for isCSpace(ca) {
			ai++
			ca = at(a, ai)
		}
		for isCSpace(cb) {
			bi++
			cb = at(b, bi)
		}
		if isDigit(ca) && isDigit(cb) {
			var r int
			if ca == '0' || cb == '0' {
				r = compareLeft(a, b, &ai, &bi)
			} else {
				r = compareRight(a, b, &ai, &bi)
			}
			switch {
			case r != 0:
				return r
			case ai == len(a) && bi == len(b):
				return 0
			case ai == len(a):
				return -1
			case bi == len(b):
				return 1
			}
			ca, cb = a[ai], b[bi]
		}
		if ca != cb {
			return compareInts(int(ca), int(cb))
		}
		ai++
		bi++
		switch {
		case ai >= len(a) && bi >= len(b):
			return 0
		case ai >= len(a):
			return -1
		case bi >= len(b):
			return 1
		}
	}
}

func isCSpace(c byte) bool { return isNumSpace(c) }

func compareInts(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func digitAt(s string, i int) bool { return i < len(s) && isDigit(s[i]) }

// compareRight compares right-aligned numbers: the longer run wins, else
// the first difference.
func compareRight(a, b string, ai, bi *int) int {
	bias := 0
	for ; ; *ai, *bi = *ai+1, *bi+1 {
		da, db := digitAt(a, *ai), digitAt(b, *bi)
		switch {
		case !da && !db:
			return bias
		case !da:
			return -1
		case !db:
			return 1
		case bias == 0:
			bias = compareInts(int(a[*ai]), int(b[*bi]))
		}
	}
}

// compareLeft compares left-aligned (fractional) numbers: the first
// difference wins.
func compareLeft(a, b string, ai, bi *int) int {
	for ; ; *ai, *bi = *ai+1, *bi+1 {
		da, db := digitAt(a, *ai), digitAt(b, *bi)
		switch {
		case !da && !db:
			return 0
		case !da:
			return -1
		case !db:
			return 1
		case a[*ai] != b[*bi]:
			return compareInts(int(a[*ai]), int(b[*bi]))
		}
	}
}
