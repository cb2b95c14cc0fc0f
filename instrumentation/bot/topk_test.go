package bot

import "testing"

func TestInstruments_TopInvocationsNil(t *testing.T) {
	t.Parallel()
	var in *Instruments
	if g, c := in.TopInvocations(); g != nil || c != nil {
		t.Errorf("nil instruments: %v %v", g, c)
	}
}
