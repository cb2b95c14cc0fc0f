package fleet

import (
	"net/url"
	"strings"

	"github.com/nexusmon/nexusmon/report"
)

// Identity is who sent a snapshot: the group (the value of group_by,
// e.g. the bot's service.name) and the attributes that tell its instances
// apart. Empty fields were not sent.
type Identity struct {
	Group      string `json:"group"`
	InstanceID string `json:"service_instance_id,omitempty"`
	ShardID    string `json:"shard_id,omitempty"`
	Host       string `json:"host,omitempty"`
}

// Key is the identity as one string, stable across restarts: the state key
// of the instance.
func (id Identity) Key() string {
	esc := url.PathEscape
	return esc(id.Group) + "/" + esc(id.InstanceID) + "/" + esc(id.ShardID) + "/" + esc(id.Host)
}

// Label is how the instance is named in messages: "shard 3 · host-a",
// the instance id when there is neither, the group when nothing else.
func (id Identity) Label() string {
	var parts []string
	if id.ShardID != "" {
		parts = append(parts, "shard "+id.ShardID)
	}
	if id.Host != "" {
		parts = append(parts, id.Host)
	}
	if id.InstanceID != "" && (len(parts) == 0 || id.ShardID == "") {
		parts = append(parts, shortID(id.InstanceID))
	}
	if len(parts) == 0 {
		return id.Group
	}
	return strings.Join(parts, " · ")
}

// shortID keeps a long instance id (a UUID) readable.
func shortID(s string) string {
	if len(s) > 12 {
		return s[:8] + "…"
	}
	return s
}

// InstanceSnapshot is one instance's data from one export.
type InstanceSnapshot struct {
	ID   Identity
	Snap *report.Snapshot
}
