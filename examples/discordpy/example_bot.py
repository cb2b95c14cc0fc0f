"""A tiny discord.py bot with nexusmon_otel loaded: /ping answers, /fail raises.

    DISCORD_TOKEN=... OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 \
    OTEL_SERVICE_NAME=example-bot python3 example_bot.py

DISCORD_API_BASE and DISCORD_GATEWAY_URL point the bot at another Discord
(nexusmon's tests use them for their fake Discord); leave them unset for the
real one.
"""

import asyncio
import logging
import os
import signal

import discord
import yarl
from discord.ext import commands

from nexusmon_otel import NexusmonTelemetry


class ExampleBot(commands.Bot):
    def __init__(self):
        super().__init__(command_prefix=commands.when_mentioned, intents=discord.Intents.default())

    async def setup_hook(self):
        await self.add_cog(NexusmonTelemetry(self))
        await self.add_cog(Demo())
        await self.tree.sync()


class Demo(commands.Cog):
    @discord.app_commands.command(description="Answers pong.")
    async def ping(self, interaction: discord.Interaction):
        await interaction.response.send_message("pong", allowed_mentions=discord.AllowedMentions.none())

    @discord.app_commands.command(description="Defers, then fails.")
    async def fail(self, interaction: discord.Interaction):
        await interaction.response.defer()
        raise RuntimeError("the fail command always fails")


async def main():
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"))
    if os.environ.get("DISCORD_API_BASE"):
        discord.http.Route.BASE = os.environ["DISCORD_API_BASE"]
    if os.environ.get("DISCORD_GATEWAY_URL"):
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(os.environ["DISCORD_GATEWAY_URL"])
    bot = ExampleBot()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with bot:
        runner = asyncio.create_task(bot.start(os.environ["DISCORD_TOKEN"]))
        stopper = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
        stopper.cancel()
        if runner in done:
            runner.result()  # raises what ended the bot
    # Leaving "async with" closed the bot and unloaded the cogs: the
    # telemetry cog sent what it had queued.


if __name__ == "__main__":
    asyncio.run(main())
