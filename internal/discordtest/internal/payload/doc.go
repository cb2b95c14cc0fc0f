// Package payload is what the fake Discord accepts in a REST request body:
// how the body is encoded (JSON, or multipart with payload_json and file
// parts), Discord's limits on a message (content, embeds, fields, files,
// attachment:// references, allowed_mentions) and on an application command,
// and the 400 answers that refuse one ({"code":50035,"message":"Invalid
// Form Body","errors":{...}} with an "_errors" list at each path).
//
// It is pure: it keeps no state, does no I/O and imports only the standard
// library. discordtest decides when a check applies (validation can be
// turned off) and what the request does once it passes.
package payload
