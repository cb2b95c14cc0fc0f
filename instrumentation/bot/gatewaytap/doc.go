// Package gatewaytap reads a discordgo session's gateway connection without
// changing it: a websocket.Dialer (NewDialer) whose dial functions open
// connections the way the session's own dialer would (Dial: its TCP and
// TLS dial functions, TLS config and proxy) and wrap them in a Conn, which
// parses the websocket frames in plaintext and reports heartbeats (op 1),
// their ACKs (op 11) and close frames with their code to a Sink. The bot
// package's SessionObserver is the Sink; it turns these into the gateway
// latency and the close codes.
//
// The package imports the standard library and gorilla/websocket only; it
// must not import discordgo, the OTel SDK, or agent, receiver, report,
// render, deliver or health.
package gatewaytap
