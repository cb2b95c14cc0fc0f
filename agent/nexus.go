package agent

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nexusmon/nexusmon/render"

	"github.com/bwmarrin/discordgo"

	"github.com/nexusmon/nexusmon/deliver/discord"
	"github.com/nexusmon/nexusmon/health"
	"github.com/nexusmon/nexusmon/instrumentation/bot"
	"github.com/nexusmon/nexusmon/internal/discordapi"
	"github.com/nexusmon/nexusmon/report/reportdata"
)

// The /nexus command. default_member_permissions limits the whole command
// to administrators (server owners can grant it to other roles in the
// server's integration settings); test_reporting also checks the member's
// permissions at run time, since that setting can be changed.
var adminPermission = int64(discordgo.PermissionAdministrator)

func nexusDefinition() *discordgo.ApplicationCommand {
	sub := func(name, desc string) *discordgo.ApplicationCommandOption {
		return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionSubCommand, Name: name, Description: desc}
	}
	return &discordgo.ApplicationCommand{
		Name:                     "nexus",
		Description:              "nexusmon performance monitor",
		DefaultMemberPermissions: &adminPermission,
		Options: []*discordgo.ApplicationCommandOption{
			sub("test_reporting", "Prove the whole reporting path works (administrators)"),
			sub("status", "Current system, process and Discord snapshot"),
			sub("health", "A health report now, with scores, trends and a chart"),
			sub("alerts", "Active alerts"),
		},
	}
}

func (a *Agent) nexusModule() bot.Module {
	return bot.Module{Name: "nexus", Commands: []bot.Command{{
		Definition: nexusDefinition(),
		Subcommands: map[string]bot.Handler{
			"test_reporting": a.cmdTestReporting,
			"status":         a.cmdStatus,
			"health":         a.cmdHealth,
			"alerts":         a.cmdAlerts,
		},
	}}}
}

// errNotAdmin is the answer to a non-administrator's /nexus test_reporting.
var errNotAdmin = errors.New("/nexus test_reporting is for administrators")

// isAdmin reports whether the interaction's member has Administrator. In
// DMs there is no member and no permission.
func isAdmin(i *discordgo.InteractionCreate) bool {
	if i == nil || i.Interaction == nil || i.Member == nil {
		return false
	}
	return i.Member.Permissions&discordgo.PermissionAdministrator != 0
}

// hasOptions reports whether the invocation's subcommand carries options:
// none of /nexus's subcommands takes any, so any option is refused unread.
func hasOptions(i *discordgo.InteractionCreate) bool {
	if i.Type != discordgo.InteractionApplicationCommand {
		return true
	}
	d := i.ApplicationCommandData()
	return len(d.Options) != 1 || len(d.Options[0].Options) != 0
}

func ephemeral(text string) *discordgo.InteractionResponse {
	p := render.Payload{Content: render.EscapeMarkdown(text), Flags: discordapi.FlagEphemeral}
	return &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource, Data: discord.InteractionData(&p)}
}

// respondReport answers with r rendered by the channel reports' renderer,
// visible to the invoker only.
func respondReport(c *bot.Context, r *reportdata.Report) error {
	p, err := render.Render(r)
	if err != nil {
		return err
	}
	p.Flags = discordapi.FlagEphemeral
	return c.Respond(&discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource, Data: discord.InteractionData(&p)})
}

func followupReport(c *bot.Context, r *reportdata.Report) error {
	p, err := render.Render(r)
	if err != nil {
		return err
	}
	p.Flags = discordapi.FlagEphemeral
	_, err = c.Followup(discord.WebhookParams(&p))
	return err
}

func (a *Agent) cmdTestReporting(c *bot.Context) error {
	if hasOptions(c.Interaction) {
		return c.Respond(ephemeral("This command takes no options."))
	}
	if !isAdmin(c.Interaction) {
		if err := c.Respond(ephemeral("Only administrators can run /nexus test_reporting.")); err != nil {
			return err
		}
		return errNotAdmin
	}
	// Answer within Discord's 3 s deadline; the checks take longer.
	if err := c.Defer(true); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c), 2*time.Minute)
	defer cancel()
	return followupReport(c, a.ChecksReport(a.RunChecks(ctx)))
}

func (a *Agent) cmdStatus(c *bot.Context) error {
	if hasOptions(c.Interaction) {
		return c.Respond(ephemeral("This command takes no options."))
	}
	r := a.reporter.Latest(reportdata.EventSystem)
	if r == nil {
		snap, err := a.collectNow(c)
		if err != nil {
			return err
		}
		if r, err = a.reporter.BuildNow(c, reportdata.EventSystem, snap); err != nil {
			return err
		}
	}
	return respondReport(c, r)
}

func (a *Agent) cmdHealth(c *bot.Context) error {
	if hasOptions(c.Interaction) {
		return c.Respond(ephemeral("This command takes no options."))
	}
	if err := c.Defer(true); err != nil {
		return err
	}
	snap, err := a.collectNow(c)
	if err != nil {
		return err
	}
	r, err := a.reporter.BuildNow(c, reportdata.EventHealth, snap)
	if r == nil {
		return err
	}
	if err != nil {
		a.log.Warn("health report without its chart", "err", err)
	}
	return followupReport(c, r)
}

func (a *Agent) cmdAlerts(c *bot.Context) error {
	if hasOptions(c.Interaction) {
		return c.Respond(ephemeral("This command takes no options."))
	}
	return respondReport(c, a.alertsReport())
}

// alertsReport lists the active alerts.
func (a *Agent) alertsReport() *reportdata.Report {
	active := a.reporter.ActiveAlerts()
	r := &reportdata.Report{
		Event: "active_alerts", Time: a.opts.now().UTC(), Host: hostName(a.res),
		Title: "Active alerts", Emoji: "🚨", Level: health.Excellent, Data: map[string]any{"active_alerts": active},
	}
	if len(active) == 0 {
		r.Summary = "No alert is firing."
		return r
	}
	r.Level = health.Fair
	var fields []reportdata.Field
	for _, al := range active {
		if al.Severity == string(health.SeverityCritical) {
			r.Level = health.Critical
		}
		fields = append(fields, reportdata.Field{
			Name:  fmt.Sprintf("%s · %s", al.Severity, al.Rule),
			Value: fmt.Sprintf("%s at %s %s (threshold %s, peak %s) since %s", al.Metric, fmtNum(al.Value), al.Unit, fmtNum(al.Threshold), fmtNum(al.Peak), al.Since.UTC().Format(time.RFC3339)),
		})
	}
	r.Summary = fmt.Sprintf("%d alert(s) firing.", len(active))
	r.Sections = []reportdata.Section{{Name: "🚨 Firing", Fields: fields}}
	return r
}

func fmtNum(v float64) string { return fmt.Sprintf("%.1f", v) }
