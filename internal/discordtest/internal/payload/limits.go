package payload

// Discord limits the checks enforce.
// See https://discord.com/developers/docs/resources/message#embed-object-embed-limits
// and https://discord.com/developers/docs/reference#uploading-files.
const (
	maxContent     = 2000
	maxEmbeds      = 10
	maxEmbedTitle  = 256
	maxEmbedDesc   = 4096
	maxEmbedFields = 25
	maxFieldName   = 256
	maxFieldValue  = 1024
	maxFooter      = 2048
	maxAuthor      = 256
	maxEmbedTotal  = 6000
	maxFiles       = 10
	// MaxFileSize is the largest file a message may carry, in bytes
	// (interactions announce it as attachment_size_limit).
	MaxFileSize = 10 << 20
)
