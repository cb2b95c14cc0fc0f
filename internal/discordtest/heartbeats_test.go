package discordtest

import "testing"

func TestServer_Heartbeats(t *testing.T) {
	t.Parallel()
	s := New(t)
	if n := s.Heartbeats(); n != 0 {
		t.Fatalf("heartbeats before any connection = %d", n)
	}
	w := dialGateway(t, s)
	for i := 1; i <= 2; i++ {
		w.send(map[string]any{"op": 1, "d": nil})
		if f := w.read(); f.Op != 11 {
			t.Fatalf("heartbeat %d answered op %d", i, f.Op)
		}
		if n := s.Heartbeats(); n != i {
			t.Errorf("after %d acknowledged heartbeats: Heartbeats() = %d", i, n)
		}
	}

	// Unanswered heartbeats are not counted. The identify after it is
	// answered in order, so the heartbeat was handled when READY arrives.
	s.StopAcking(true)
	w.send(map[string]any{"op": 1, "d": nil})
	w.send(identify(s.Token()))
	w.dispatch("READY", 1)
	if n := s.Heartbeats(); n != 2 {
		t.Errorf("after an unacknowledged heartbeat: Heartbeats() = %d, want 2", n)
	}

	// Every connection counts.
	s.StopAcking(false)
	w2 := dialGateway(t, s)
	w2.send(map[string]any{"op": 1, "d": nil})
	if f := w2.read(); f.Op != 11 {
		t.Fatalf("heartbeat on a second connection answered op %d", f.Op)
	}
	if n := s.Heartbeats(); n != 3 {
		t.Errorf("after a heartbeat on a second connection: Heartbeats() = %d, want 3", n)
	}
}
