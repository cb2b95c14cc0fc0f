package discordapi

// Discord's message limits. Text limits count Unicode code points of the
// string trimmed of leading and trailing whitespace; file limits count bytes.
const (
	// MaxContent is the limit of a message's content.
	// https://discord.com/developers/docs/resources/message#create-message
	MaxContent = 2000
	// MaxEmbeds is the number of embeds a message may carry.
	// https://discord.com/developers/docs/resources/message#create-message
	MaxEmbeds = 10
	// MaxTitle is the limit of an embed title.
	// https://discord.com/developers/docs/resources/message#embed-object-embed-limits
	MaxTitle = 256
	// MaxDescription is the limit of an embed description.
	// https://discord.com/developers/docs/resources/message#embed-object-embed-limits
	MaxDescription = 4096
	// MaxFields is the number of fields an embed may carry.
	// https://discord.com/developers/docs/resources/message#embed-object-embed-limits
	MaxFields = 25
	// MaxFieldName is the limit of an embed field's name.
	// https://discord.com/developers/docs/resources/message#embed-object-embed-limits
	MaxFieldName = 256
	// MaxFieldValue is the limit of an embed field's value.
	// https://discord.com/developers/docs/resources/message#embed-object-embed-limits
	MaxFieldValue = 1024
	// MaxFooter is the limit of an embed footer's text.
	// https://discord.com/developers/docs/resources/message#embed-object-embed-limits
	MaxFooter = 2048
	// MaxAuthor is the limit of an embed author's name.
	// https://discord.com/developers/docs/resources/message#embed-object-embed-limits
	MaxAuthor = 256
	// MaxEmbedTotal is the limit of title, description, field names and
	// values, footer text and author name summed over all embeds of a message.
	// https://discord.com/developers/docs/resources/message#embed-object-embed-limits
	MaxEmbedTotal = 6000
	// MaxFiles is the number of attachments a message may carry.
	// https://discord.com/developers/docs/resources/message#create-message
	MaxFiles = 10
	// MaxFileSize is the default size limit of one attachment in bytes.
	// https://discord.com/developers/docs/reference#uploading-files
	MaxFileSize = 10 << 20
	// MaxRequestSize is the size limit of one create-message request in
	// bytes (error 40005 "Request entity too large").
	// https://discord.com/developers/docs/resources/message#create-message
	MaxRequestSize = 25 << 20
)

// Message flags nexusmon sets or must know about.
// https://discord.com/developers/docs/resources/message#message-object-message-flags
const (
	// FlagSuppressEmbeds hides the message's embeds. It is the only flag an
	// edit may set or clear; editing keeps every other flag as it was.
	// https://discord.com/developers/docs/resources/message#edit-message
	FlagSuppressEmbeds = 1 << 2
	// FlagEphemeral makes an interaction answer visible to its invoker
	// only. Only interaction responses and followups may set it.
	FlagEphemeral = 1 << 6
	// FlagSuppressNotifications (SUPPRESS_NOTIFICATIONS, 4096) posts the
	// message without push and desktop notifications; it still shows as
	// unread. It can only be set when the message is created.
	FlagSuppressNotifications = 1 << 12
)
