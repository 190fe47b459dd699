// The silo's two dedicated threads: the CPU engine's (requests in arrival order, never on a
// thread-pool thread) and the write-behind's background thread (idle CPU priority, awaits resume
// on it, failures reach the caller).
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Rtfm.Grains.Services;

namespace Rtfm.Grains.Tests;

public sealed class SiloThreadsTests
{
    [Fact]
    public async Task The_engine_thread_runs_requests_one_at_a_time_in_arrival_order_off_the_thread_pool()
    {
        using var engine = new DedicatedThread("test-engine");
        var order = new List<int>();
        int running = 0, overlap = 0;
        var tasks = Enumerable.Range(0, 50).Select(i => engine.Run(() =>
        {
            if (Interlocked.Increment(ref running) > 1) Interlocked.Increment(ref overlap);
            Assert.False(Thread.CurrentThread.IsThreadPoolThread);
            Assert.Equal("test-engine", Thread.CurrentThread.Name);
            lock (order) order.Add(i);
            Thread.SpinWait(1000);
            Interlocked.Decrement(ref running);
            return i * 2;
        })).ToArray();
        int[] results = await Task.WhenAll(tasks);
        Assert.Equal(Enumerable.Range(0, 50).Select(i => i * 2), results);
        Assert.Equal(Enumerable.Range(0, 50), order);
        Assert.Equal(0, overlap);
        engine.Dispose(); // joins the thread: its counts of the last item are in
        var usage = engine.Usage;
        Assert.Equal(50, usage.Items);
        Assert.True(usage.Busy > TimeSpan.Zero);
    }

    [Fact]
    public async Task An_engine_request_that_throws_fails_only_its_own_task()
    {
        using var engine = new DedicatedThread("test-engine");
        var bad = engine.Run<int>(() => throw new InvalidOperationException("boom"));
        var good = engine.Run(() => 7);
        Assert.Equal("boom", (await Assert.ThrowsAsync<InvalidOperationException>(() => bad)).Message);
        Assert.Equal(7, await good);
        engine.Dispose();
        var refused = Record.Exception(() => { _ = engine.Run(() => 1); });
        Assert.IsType<ObjectDisposedException>(refused);
    }

    [Fact]
    public async Task Background_work_runs_at_idle_priority_in_order_and_resumes_on_its_thread()
    {
        using var background = new BackgroundWork(new WriteBehindOptions(), NullLogger<BackgroundWork>.Instance);
        var order = new List<int>();
        var tasks = Enumerable.Range(0, 20).Select(i => background.Run(async () =>
        {
            lock (order) order.Add(i);
            Assert.Equal("rtfm-background", Thread.CurrentThread.Name);
            await Task.Yield();
            Assert.Equal("rtfm-background", Thread.CurrentThread.Name); // the continuation came back here
            return i;
        })).ToArray();
        Assert.Equal(Enumerable.Range(0, 20), await Task.WhenAll(tasks));
        Assert.Equal(Enumerable.Range(0, 20), order);
        if (OperatingSystem.IsLinux())
        {
            Assert.Equal("SCHED_IDLE", background.Priority);
            // What the kernel says of the thread: policy 5 (SCHED_IDLE) in field 41 of its stat.
            string stat = await background.Run(() => Task.FromResult(File.ReadAllText("/proc/thread-self/stat")));
            string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            Assert.Equal(5, int.Parse(fields[38], CultureInfo.InvariantCulture));
        }
        await Assert.ThrowsAsync<IOException>(() => background.Run(() => Task.FromException(new IOException("disk full"))));
    }

    [Fact]
    public async Task Background_work_at_normal_priority_when_configured_so()
    {
        using var background = new BackgroundWork(new WriteBehindOptions { LowPriority = false }, NullLogger<BackgroundWork>.Instance);
        Assert.Equal(3, await background.Run(() => Task.FromResult(3)));
        Assert.Equal("normal", background.Priority);
    }
}
