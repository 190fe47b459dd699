// Warms the silo's render engine while the silo starts, before it takes sessions.
using Microsoft.Extensions.Logging;

namespace Rtfm.Grains.Services;

internal sealed partial class RenderEngineWarmUp(RenderEngine engine, ILogger<RenderEngineWarmUp> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(RenderEngineWarmUp), ServiceLifecycleStage.ApplicationServices, async _ =>
        {
            long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
            await engine.WarmUpAsync();
            LogWarm(logger, System.Diagnostics.Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
        });

    [LoggerMessage(EventId = 2003, Level = LogLevel.Information, Message = "Render engine warmed up in {Milliseconds:F0} ms")]
    private static partial void LogWarm(ILogger logger, double milliseconds);
}
