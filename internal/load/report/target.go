// Package report holds the pieces both of loadgen's reports are made of:
// verdict lines and the units figures are written in.
package report

// Target is one line of the verdict.
type Target struct {
	Name     string `json:"name"`
	Measured string `json:"measured"`
	Ref      string `json:"reference"`
	Ratio    string `json:"ratio"`
	Result   string `json:"result"` // PASS, FAIL, INFO or N/A
	// Note says when the run was smaller than the target's own figures.
	Note string `json:"note,omitempty"`
}

// Verdict is PASS or FAIL.
func Verdict(ok bool) string {
	if ok {
		return "PASS"
	}
	return "FAIL"
}
