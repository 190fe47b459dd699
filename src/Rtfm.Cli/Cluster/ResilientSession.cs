// A client's view of a session that survives a silo failure: every step goes through a Polly
// pipeline that retries transient failures (silo gone, call timed out, render queue busy,
// storage briefly failing) with jittered exponential backoff, bounded in count and total time.
// Steps are idempotent by sequence number and the session reopens itself on its new silo, so
// retrying a step that may already have run is safe.
using Polly;
using Polly.Retry;
using Polly.Timeout;
using Rtfm.Grains.Abstractions;
using Rtfm.Grains.Services;

namespace Rtfm.Cli.Cluster;

public sealed class ResilientSession
{
    private readonly ISessionGrain _session;
    private readonly ResiliencePipeline _pipeline;
    private int _retries;

    /// <summary>Longest wait for one attempt before it is abandoned and retried: a step is ~50 ms, one queued
    /// behind a full render queue ~1 s; a call to a silo that just died would otherwise wait the whole
    /// Orleans response timeout. The abandoned call is harmless: the retry has the same sequence number.</summary>
    public static readonly TimeSpan DEFAULT_ATTEMPT_TIMEOUT = TimeSpan.FromSeconds(2);

    public ResilientSession(ISessionGrain session, TimeSpan? giveUpAfter = null, Action<string>? onRetry = null, TimeSpan? attemptTimeout = null)
    {
        _session = session;
        _pipeline = new ResiliencePipelineBuilder()
            .AddTimeout(new TimeoutStrategyOptions { Timeout = giveUpAfter ?? TimeSpan.FromSeconds(60) })
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(IsTransient),
                MaxRetryAttempts = 40,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(100),
                MaxDelay = TimeSpan.FromSeconds(2),
                OnRetry = a =>
                {
                    Interlocked.Increment(ref _retries);
                    onRetry?.Invoke($"retry {a.AttemptNumber + 1} after {a.Outcome.Exception?.GetType().Name}: {a.Outcome.Exception?.Message}");
                    return default;
                },
            })
            .AddTimeout(attemptTimeout ?? DEFAULT_ATTEMPT_TIMEOUT)
            .Build();
    }

    /// <summary>Retries made so far (over all steps).</summary>
    public int Retries => _retries;

    public Task<StepResult> StepAsync(StepRequest request, CancellationToken cancellationToken = default) =>
        _pipeline.ExecuteAsync(async t => await _session.StepAsync(request).WaitAsync(t), cancellationToken).AsTask();

    public Task<int> FlushAsync(CancellationToken cancellationToken = default) =>
        _pipeline.ExecuteAsync(async t => await _session.FlushAsync().WaitAsync(t), cancellationToken).AsTask();

    /// <summary>Failures that another attempt may not see: the cluster's, not the request's.</summary>
    public static bool IsTransient(Exception ex) => ex switch
    {
        RenderBusyException => true,
        TimeoutRejectedException => true,
        TimeoutException => true,
        SiloUnavailableException => true,
        OrleansMessageRejectionException => true,
        OrleansException => true,
        InvalidOperationException ioe when ioe.Message.Contains("write-back is failing", StringComparison.Ordinal) => true,
        _ => false,
    };
}
