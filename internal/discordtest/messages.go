package discordtest

import (
	"crypto/rand"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/nexusmon/nexusmon/internal/discordtest/internal/payload"
)

// Message is a message as the fake stores it, after edits.
type Message struct {
	ID, ChannelID, Content string
	// Embeds are the embeds as sent, decoded from JSON.
	Embeds []map[string]any
	// Files are the current attachments with their data.
	Files []File
	// AllowedMentions is the allowed_mentions object as last sent, or nil.
	AllowedMentions json.RawMessage
	// NoMentions is true when allowed_mentions has an explicit empty parse
	// list and no user or role ids: nothing in the message can ping.
	NoMentions bool
	// Flags are the message flags: as sent at creation (4096
	// SUPPRESS_NOTIFICATIONS, 64 EPHEMERAL, ...), with SUPPRESS_EMBEDS (4)
	// as the last edit set it.
	Flags int64
	// EditedAt is the time of the last edit; zero when never edited.
	EditedAt time.Time
	// WebhookID is the webhook (or, for interaction responses, the
	// application) that posted it; empty for bot messages.
	WebhookID string
}

type attachment struct {
	id string
	File
}

type storedMessage struct {
	id, channelID   string
	content         string
	embeds          []any
	attachments     []attachment
	allowedMentions json.RawMessage
	noMentions      bool
	flags           int64
	createdAt       time.Time
	editedAt        time.Time
	webhookID       string
	authorID        string
	authorName      string
	interactionID   string
	hidden          bool // ephemeral: not part of the channel's history
	deleted         bool
}

type channelState struct {
	id, guildID string
	order       []*storedMessage
	byID        map[string]*storedMessage
}

type webhook struct {
	id, token, channelID string
}

const discordEpochMillis = 1420070400000

// Message flags the fake interprets. SUPPRESS_EMBEDS is the one flag an
// edit can change; LOADING marks a deferred interaction response.
const (
	flagSuppressEmbeds = 1 << 2
	flagLoading        = 1 << 7
)

// flake returns a new snowflake, increasing across the server's life.
// Callers hold s.mu.
func (s *Server) flake() string {
	ms := uint64(s.now().UnixMilli() - discordEpochMillis)
	next := ms << 22
	if next <= s.lastFlake {
		next = s.lastFlake + 1
	}
	s.lastFlake = next
	return strconv.FormatUint(next, 10)
}

// newToken returns an opaque random token.
func newToken() string {
	return rand.Text() + rand.Text()
}

// addChannel registers a channel; callers hold s.mu or own s exclusively.
func (s *Server) addChannel(id, guildID string) *channelState {
	if c, ok := s.channels[id]; ok {
		return c
	}
	c := &channelState{id: id, guildID: guildID, byID: map[string]*storedMessage{}}
	s.channels[id] = c
	s.channelOrder = append(s.channelOrder, id)
	return c
}

// CreateWebhook creates a channel webhook and returns its id, token and
// execute URL (s.URL+"/api/v10/webhooks/ID/TOKEN"). The URL is a secret in
// the project's sense: tests should not print it.
func (s *Server) CreateWebhook(channelID string) (id, token, url string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addChannel(channelID, s.guildOf(channelID))
	id, token = s.flake(), newToken()
	s.webhooks[id] = &webhook{id: id, token: token, channelID: channelID}
	return id, token, s.URL + "/api/v10/webhooks/" + id + "/" + token
}

func (s *Server) guildOf(channelID string) string {
	for _, g := range s.opts.Guilds {
		for _, c := range g.Channels {
			if c.ID == channelID {
				return g.ID
			}
		}
	}
	return ""
}

// Messages returns the current messages of a channel in the order they were
// created, after edits, without deleted and ephemeral ones.
func (s *Server) Messages(channelID string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channels[channelID]
	if c == nil {
		return nil
	}
	var out []Message
	for _, m := range c.order {
		if m.deleted || m.hidden {
			continue
		}
		out = append(out, m.export())
	}
	return out
}

// DeleteMessage deletes a message as if a moderator did: later edits get 404
// 10008 and it disappears from Messages.
func (s *Server) DeleteMessage(channelID, messageID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.channels[channelID]; c != nil {
		if m := c.byID[messageID]; m != nil {
			m.deleted = true
		}
	}
}

func (m *storedMessage) export() Message {
	out := Message{
		ID: m.id, ChannelID: m.channelID, Content: m.content,
		AllowedMentions: append(json.RawMessage(nil), m.allowedMentions...),
		NoMentions:      m.noMentions,
		Flags:           m.flags,
		EditedAt:        m.editedAt,
		WebhookID:       m.webhookID,
	}
	for _, e := range m.embeds {
		if em, ok := e.(map[string]any); ok {
			out.Embeds = append(out.Embeds, em)
		}
	}
	for _, a := range m.attachments {
		out.Files = append(out.Files, File{Name: a.Name, ContentType: a.ContentType, Data: append([]byte(nil), a.Data...)})
	}
	return out
}

// wire renders the message as Discord's Message object.
func (s *Server) wire(m *storedMessage) map[string]any {
	atts := []any{}
	for _, a := range m.attachments {
		ct := a.ContentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		u := s.URL + "/attachments/" + m.channelID + "/" + a.id + "/" + a.Name
		atts = append(atts, map[string]any{
			"id": a.id, "filename": a.Name, "size": len(a.Data), "url": u, "proxy_url": u, "content_type": ct,
		})
	}
	embeds := []any{}
	for _, e := range m.embeds {
		if em, ok := e.(map[string]any); ok {
			cp := make(map[string]any, len(em)+1)
			for k, v := range em {
				cp[k] = v
			}
			cp["type"] = "rich"
			embeds = append(embeds, cp)
		}
	}
	out := map[string]any{
		"id": m.id, "channel_id": m.channelID, "content": m.content,
		"embeds": embeds, "attachments": atts,
		"timestamp":        m.createdAt.UTC().Format(time.RFC3339Nano),
		"edited_timestamp": nil,
		"author":           map[string]any{"id": m.authorID, "username": m.authorName, "discriminator": "0", "bot": true, "avatar": nil},
		"type":             0, "tts": false, "mention_everyone": false, "mentions": []any{}, "mention_roles": []any{},
		"pinned": false, "flags": m.flags, "components": []any{},
	}
	if !m.editedAt.IsZero() {
		out["edited_timestamp"] = m.editedAt.UTC().Format(time.RFC3339Nano)
	}
	if m.webhookID != "" {
		out["webhook_id"] = m.webhookID
	}
	if c := s.channels[m.channelID]; c != nil && c.guildID != "" {
		out["guild_id"] = c.guildID
	}
	return out
}

func emptyMessage() response {
	return jsonError(http.StatusBadRequest, 50006, "Cannot send an empty message")
}

func (m *storedMessage) empty() bool {
	return strings.TrimSpace(m.content) == "" && len(m.embeds) == 0 && len(m.attachments) == 0
}

// newMessage builds a message from a create payload; callers hold s.mu.
func (s *Server) newMessage(c *call, channelID string) *storedMessage {
	p := c.payload
	m := &storedMessage{id: s.flake(), channelID: channelID, createdAt: s.now()}
	m.content = payload.Str(p, "content")
	m.embeds, _ = p["embeds"].([]any) // absent or null: none
	if am, ok := p["allowed_mentions"]; ok && am != nil {
		m.allowedMentions = mustJSON(am)
	}
	m.noMentions = payload.NoMentions(p)
	if f, ok := p["flags"].(float64); ok {
		m.flags = int64(f)
	}
	for _, f := range c.rec.Files {
		m.attachments = append(m.attachments, attachment{id: s.flake(), File: f})
	}
	return m
}

func (s *Server) store(m *storedMessage) {
	ch := s.addChannel(m.channelID, s.guildOf(m.channelID))
	ch.order = append(ch.order, m)
	ch.byID[m.id] = m
}

// applyEdit applies an edit payload to a copy of m and returns it.
func (s *Server) applyEdit(m *storedMessage, c *call) *storedMessage {
	p := c.payload
	e := *m
	if _, ok := p["content"]; ok {
		e.content = payload.Str(p, "content")
	}
	if v, ok := p["embeds"]; ok {
		e.embeds, _ = v.([]any) // null clears
	}
	if v, ok := p["allowed_mentions"]; ok {
		e.allowedMentions = nil
		if v != nil {
			e.allowedMentions = mustJSON(v)
		}
		e.noMentions = payload.NoMentions(p)
	}
	if f, ok := p["flags"].(float64); ok {
		// "Only SUPPRESS_EMBEDS can currently be set/unset"; Discord
		// ignores changes to the other flags without an error.
		// https://discord.com/developers/docs/resources/message#edit-message
		e.flags = e.flags&^flagSuppressEmbeds | int64(f)&flagSuppressEmbeds
	}
	if e.interactionID != "" {
		// Editing a deferred response ends its "thinking…" state.
		e.flags &^= flagLoading
	}
	if v, ok := p["attachments"]; ok {
		keep := map[string]bool{}
		list, _ := v.([]any) // null removes every attachment
		for _, a := range list {
			if am, ok := a.(map[string]any); ok {
				keep[payload.Str(am, "id")] = true
			}
		}
		e.attachments = nil
		for _, a := range m.attachments {
			if keep[a.id] {
				e.attachments = append(e.attachments, a)
			}
		}
	} else if len(c.rec.Files) > 0 {
		e.attachments = nil
	}
	for _, f := range c.rec.Files {
		e.attachments = append(e.attachments, attachment{id: s.flake(), File: f})
	}
	e.editedAt = s.now()
	return &e
}

// keptNames lists the attachment names an edit payload keeps, for the
// attachment:// check.
func keptNames(m *storedMessage, c *call) []string {
	var names []string
	v, ok := c.payload["attachments"]
	if !ok {
		if len(c.rec.Files) > 0 {
			return nil
		}
		for _, a := range m.attachments {
			names = append(names, a.Name)
		}
		return names
	}
	keep := map[string]bool{}
	list, _ := v.([]any) // null keeps nothing
	for _, a := range list {
		if am, ok := a.(map[string]any); ok {
			keep[payload.Str(am, "id")] = true
		}
	}
	for _, a := range m.attachments {
		if keep[a.id] {
			names = append(names, a.Name)
		}
	}
	return names
}

// edit validates and applies an edit of m, replacing it in its channel.
func (s *Server) edit(m *storedMessage, c *call) response {
	if c.payload == nil && c.raw == nil {
		c.payload = map[string]any{}
	}
	if r := s.checkPayload(c, keptNames(m, c)); r != nil {
		return *r
	}
	e := s.applyEdit(m, c)
	if s.opts.Validate && e.empty() {
		return emptyMessage()
	}
	*m = *e
	return jsonOK(http.StatusOK, s.wire(m))
}

func unknownMessage() response { return jsonError(http.StatusNotFound, 10008, "Unknown Message") }
func unknownChannel() response { return jsonError(http.StatusNotFound, 10003, "Unknown Channel") }
func unknownWebhook() response { return jsonError(http.StatusNotFound, 10015, "Unknown Webhook") }

// create validates a create payload and stores the message.
func (s *Server) create(c *call, m0 func() *storedMessage) (*storedMessage, *response) {
	if c.payload == nil && c.raw == nil {
		c.payload = map[string]any{}
	}
	if r := s.checkPayload(c, nil); r != nil {
		return nil, r
	}
	m := m0()
	if s.opts.Validate && m.empty() {
		r := emptyMessage()
		return nil, &r
	}
	s.store(m)
	return m, nil
}

func (s *Server) postChannelMessage(c *call) response {
	chID := c.params[0]
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.channels[chID]; !ok {
		return unknownChannel()
	}
	m, r := s.create(c, func() *storedMessage {
		m := s.newMessage(c, chID)
		m.authorID, m.authorName = s.BotID, "nexusmon-test"
		return m
	})
	if r != nil {
		return *r
	}
	return jsonOK(http.StatusOK, s.wire(m))
}

// channelMessage finds a live message of a channel; callers hold s.mu.
func (s *Server) channelMessage(chID, msgID string) (*storedMessage, *response) {
	ch, ok := s.channels[chID]
	if !ok {
		r := unknownChannel()
		return nil, &r
	}
	m := ch.byID[msgID]
	if m == nil || m.deleted || m.hidden {
		r := unknownMessage()
		return nil, &r
	}
	return m, nil
}

func (s *Server) getChannelMessage(c *call) response {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, r := s.channelMessage(c.params[0], c.params[1])
	if r != nil {
		return *r
	}
	return jsonOK(http.StatusOK, s.wire(m))
}

func (s *Server) patchChannelMessage(c *call) response {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, r := s.channelMessage(c.params[0], c.params[1])
	if r != nil {
		return *r
	}
	if m.authorID != s.BotID {
		return jsonError(http.StatusForbidden, 50005, "Cannot edit a message authored by another user")
	}
	return s.edit(m, c)
}

func (s *Server) deleteChannelMessage(c *call) response {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, r := s.channelMessage(c.params[0], c.params[1])
	if r != nil {
		return *r
	}
	m.deleted = true
	return response{status: http.StatusNoContent}
}

// webhookTarget resolves /webhooks/{id}/{token}: a channel webhook, or an
// interaction's followup webhook (id = application id). Callers hold s.mu.
func (s *Server) webhookTarget(id, token string) (*webhook, *interaction, *response) {
	if w := s.webhooks[id]; w != nil && w.token == token {
		return w, nil, nil
	}
	if id == s.AppID {
		for _, in := range s.interactions {
			if in.token != token {
				continue
			}
			if s.now().Sub(in.dispatchedAt) > s.opts.InteractionTokenLifetime {
				r := jsonError(http.StatusUnauthorized, 50027, "Invalid Webhook Token")
				return nil, nil, &r
			}
			if !in.acked {
				r := unknownWebhook()
				return nil, nil, &r
			}
			return nil, in, nil
		}
	}
	r := unknownWebhook()
	return nil, nil, &r
}

func (s *Server) executeWebhook(c *call) response {
	id, token := c.params[0], c.params[1]
	s.mu.Lock()
	defer s.mu.Unlock()
	w, in, r := s.webhookTarget(id, token)
	if r != nil {
		return *r
	}
	m, r := s.create(c, func() *storedMessage {
		if in != nil {
			m := s.newMessage(c, in.channelID)
			m.webhookID, m.authorID, m.authorName = s.AppID, s.BotID, "nexusmon-test"
			m.interactionID = in.id
			m.hidden = m.flags&64 != 0
			return m
		}
		m := s.newMessage(c, w.channelID)
		m.webhookID, m.authorID, m.authorName = w.id, w.id, "Captain Hook"
		return m
	})
	if r != nil {
		return *r
	}
	if in != nil {
		in.followups = append(in.followups, m.id)
		return jsonOK(http.StatusOK, s.wire(m))
	}
	if q := c.r.URL.Query().Get("wait"); q == "true" || q == "1" || q == "True" {
		return jsonOK(http.StatusOK, s.wire(m))
	}
	return response{status: http.StatusNoContent}
}

// webhookMessage finds a message a webhook may read, edit or delete.
func (s *Server) webhookMessage(c *call) (*storedMessage, *response) {
	id, token, msgID := c.params[0], c.params[1], c.params[2]
	w, in, r := s.webhookTarget(id, token)
	if r != nil {
		return nil, r
	}
	var m *storedMessage
	if in != nil {
		if msgID == "@original" {
			msgID = in.originalID
		}
		m = s.findMessage(msgID)
		if m == nil || m.interactionID != in.id {
			m = nil
		}
	} else if msgID != "@original" {
		m = s.findMessage(msgID)
		if m != nil && m.webhookID != w.id {
			m = nil
		}
	}
	if m == nil || m.deleted {
		r := unknownMessage()
		return nil, &r
	}
	return m, nil
}

func (s *Server) findMessage(id string) *storedMessage {
	for _, ch := range s.channels {
		if m := ch.byID[id]; m != nil {
			return m
		}
	}
	return nil
}

func (s *Server) getWebhookMessage(c *call) response {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, r := s.webhookMessage(c)
	if r != nil {
		return *r
	}
	return jsonOK(http.StatusOK, s.wire(m))
}

func (s *Server) patchWebhookMessage(c *call) response {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, r := s.webhookMessage(c)
	if r != nil {
		return *r
	}
	return s.edit(m, c)
}

func (s *Server) deleteWebhookMessage(c *call) response {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, r := s.webhookMessage(c)
	if r != nil {
		return *r
	}
	m.deleted = true
	return response{status: http.StatusNoContent}
}
