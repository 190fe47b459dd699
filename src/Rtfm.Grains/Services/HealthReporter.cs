// Sends this silo's health to the cluster health grain every interval while the silo is active,
// and logs when the silo turns degraded or healthy again.
using Microsoft.Extensions.Logging;
using Rtfm.Grains.Abstractions;

namespace Rtfm.Grains.Services;

internal sealed partial class HealthReporter(
    PlatformHealth health, IGrainFactory grains, ILocalSiloDetails silo, TimeProvider time, HealthReportOptions options, ILogger<HealthReporter> logger)
    : ILifecycleParticipant<ISiloLifecycle>
{
    private CancellationTokenSource? _stop;
    private Task? _loop;
    private bool _degraded;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(HealthReporter), ServiceLifecycleStage.Active,
            _ => { _stop = new CancellationTokenSource(); _loop = RunAsync(_stop.Token); return Task.CompletedTask; },
            async _ => { if (_stop is not null) { await _stop.CancelAsync(); if (_loop is not null) await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing); } });

    private async Task RunAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(options.Interval, time);
        while (!stop.IsCancellationRequested)
        {
            var snapshot = health.Snapshot(silo.SiloAddress.ToString(), time.GetUtcNow());
            if (snapshot.Degraded != _degraded)
            {
                _degraded = snapshot.Degraded;
                if (_degraded) LogDegraded(logger, snapshot.PendingFrames, snapshot.FailingSessions, snapshot.LastError ?? (snapshot.RenderFault is { } gpu ? "GPU given up: " + gpu : ""));
                else LogHealthy(logger);
            }
            try { await grains.GetGrain<IClusterHealthGrain>(IClusterHealthGrain.Key).ReportAsync(snapshot); }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogReportFailed(logger, ex.Message); // the health grain's silo may be moving: next round
            }
            try
            {
                if (!await timer.WaitForNextTickAsync(stop)) break;
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    [LoggerMessage(EventId = 2201, Level = LogLevel.Warning, Message = "Silo degraded: {Pending} kept frames waiting, {Failing} sessions failing to write: {Reason}")]
    private static partial void LogDegraded(ILogger logger, int pending, int failing, string reason);

    [LoggerMessage(EventId = 2202, Level = LogLevel.Information, Message = "Silo healthy again")]
    private static partial void LogHealthy(ILogger logger);

    [LoggerMessage(EventId = 2203, Level = LogLevel.Debug, Message = "Health report not delivered: {Reason}")]
    private static partial void LogReportFailed(ILogger logger, string reason);
}

public sealed class HealthReportOptions
{
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(5);
}
