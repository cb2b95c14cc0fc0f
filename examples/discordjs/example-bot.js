'use strict';

// A small discord.js bot instrumented for nexusmon: two slash commands,
// /ping and /dice roll, whose spans and the client's metrics go over OTLP
// to nexusmon's receiver.
//
//   DISCORD_TOKEN=... OTEL_SERVICE_NAME=example-bot \
//   OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 node example-bot.js
//
// DISCORD_API (default https://discord.com/api) points discord.js's REST
// client elsewhere, e.g. at a test server; the gateway URL comes from its
// GET /gateway/bot.

const { Client, Events, GatewayIntentBits, MessageFlags, SlashCommandBuilder } = require('discord.js');
const { instrument, commandName } = require('./index');

const token = process.env.DISCORD_TOKEN;
if (!token) {
  console.error('example-bot: set DISCORD_TOKEN');
  process.exit(2);
}

const client = new Client({
  intents: [GatewayIntentBits.Guilds],
  rest: process.env.DISCORD_API ? { api: process.env.DISCORD_API } : {},
});
// Before login, so the first READY is counted.
const otel = instrument(client);

const commands = [
  new SlashCommandBuilder().setName('ping').setDescription('Show the gateway latency'),
  new SlashCommandBuilder()
    .setName('dice')
    .setDescription('Dice')
    .addSubcommand((sub) => sub
      .setName('roll')
      .setDescription('Roll a die')
      .addIntegerOption((o) => o.setName('sides').setDescription('Number of sides').setRequired(true))),
];

/** Handlers by full command name. */
const handlers = {
  ping: async (interaction) => {
    const ms = interaction.client.ws.ping;
    await interaction.reply(ms >= 0 ? `pong: ${ms} ms` : 'pong');
  },
  'dice roll': async (interaction) => {
    const sides = interaction.options.getInteger('sides', true);
    if (sides < 2) throw new RangeError(`a die needs at least 2 sides, got ${sides}`);
    await interaction.reply(`rolled ${1 + Math.floor(Math.random() * sides)} of ${sides}`);
  },
};

client.once(Events.ClientReady, async (ready) => {
  await ready.application.commands.set(commands.map((c) => c.toJSON()));
  console.log(`example-bot: ready as ${ready.user.tag} in ${ready.guilds.cache.size} guilds`);
});

client.on(Events.InteractionCreate, otel.commandHandler(async (interaction) => {
  if (!interaction.isChatInputCommand()) return;
  const handler = handlers[commandName(interaction)];
  if (!handler) throw new Error(`no handler for /${commandName(interaction)}`);
  await handler(interaction);
}, {
  module: 'example',
  // The span already has the error; tell the user something went wrong.
  onError: async (_err, interaction) => {
    if (!interaction.isRepliable() || interaction.replied || interaction.deferred) return;
    await interaction.reply({ content: 'Something went wrong.', flags: MessageFlags.Ephemeral });
  },
}));

let stopping = false;
async function stop(signal) {
  if (stopping) return;
  stopping = true;
  console.log(`example-bot: ${signal}, flushing telemetry`);
  // Telemetry first: its last export still sees the connected client. It
  // never rejects; a failed export (receiver down) is logged.
  await otel.shutdown();
  await client.destroy();
  process.exit(0);
}
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));

client.login(token).catch((err) => {
  console.error(`example-bot: login: ${err.message}`);
  process.exit(1);
});
