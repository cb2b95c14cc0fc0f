// Package gateway is the fake Discord's gateway: the websocket protocol
// that discordgo, discord.py and discord.js sessions speak to
// discordtest.Server at /ws.
//
// It owns the connections and the gateway sessions that outlive them:
// HELLO, heartbeats and their ACKs, IDENTIFY (READY, then one GUILD_CREATE
// per guild), RESUME with replay of the frames a session missed, op 7
// RECONNECT, op 9 INVALID_SESSION, close codes, dropped connections, and
// zlib-stream transport compression for clients that ask for it. The
// faults a test injects (HoldHello, StopAcking, CloseAll, DropAll, ...) act
// here.
//
// What the events say about the bot, its application and its guilds is the
// Server's state: the gateway asks for it through State, which the Server
// implements, and knows nothing of REST, messages or rate limits.
package gateway
