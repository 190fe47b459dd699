// The worker pool: every index exactly once, errors surface, nesting refused, no allocation.
using Rtfm.Compute.Cpu.Threading;

namespace Rtfm.Compute.Tests;

public sealed class WorkerPoolTests
{
    private sealed class CountingWork(int n) : IParallelWork
    {
        public int[] Hits { get; } = new int[n];
        public void Execute(int index) => Interlocked.Increment(ref Hits[index]);
    }

    private sealed class ThrowingWork : IParallelWork
    {
        public void Execute(int index)
        {
            if (index == 7) throw new InvalidDataException("item 7 failed");
        }
    }

    private sealed class NestedWork(CpuWorkerPool pool) : IParallelWork
    {
        public void Execute(int index) => pool.For(2, new CountingWork(2));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public void Every_index_runs_exactly_once(int threads)
    {
        using var pool = new CpuWorkerPool(threads);
        Assert.Equal(threads, pool.Threads);
        foreach (int count in new[] { 0, 1, 2, 1000 })
        {
            for (int rep = 0; rep < 20; rep++)
            {
                var work = new CountingWork(count);
                pool.For(count, work);
                Assert.All(work.Hits, h => Assert.Equal(1, h));
            }
        }
    }

    [Fact]
    public void Back_to_back_loops_of_different_sizes_never_share_an_index()
    {
        // More threads than cores, so workers are preempted mid-loop and wake into later loops:
        // a late worker must not claim an index of a loop it did not start in.
        using var pool = new CpuWorkerPool(Environment.ProcessorCount + 2);
        var rng = new Random(5);
        var works = new CountingWork[8];
        for (int rep = 0; rep < 20_000; rep++)
        {
            int count = rng.Next(2, 48);
            var work = works[rep % works.Length] = new CountingWork(count);
            pool.For(count, work);
            for (int i = 0; i < count; i++)
                if (work.Hits[i] != 1) Assert.Fail($"loop {rep}: index {i} of {count} ran {work.Hits[i]} times");
            // Earlier loops' counters are never touched again.
            var older = works[(rep + 1) % works.Length];
            if (older is not null)
                for (int i = 0; i < older.Hits.Length; i++)
                    if (older.Hits[i] != 1) Assert.Fail($"an index of an earlier loop ran again by loop {rep}");
        }
    }

    [Fact]
    public void An_item_exception_is_rethrown_after_the_loop_and_the_pool_stays_usable()
    {
        using var pool = new CpuWorkerPool(2);
        Assert.Equal("item 7 failed", Assert.Throws<InvalidDataException>(() => pool.For(100, new ThrowingWork())).Message);
        var work = new CountingWork(10);
        pool.For(10, work);
        Assert.All(work.Hits, h => Assert.Equal(1, h));
    }

    [Fact]
    public void Nested_loops_are_refused_with_a_clear_error()
    {
        using var pool = new CpuWorkerPool(2);
        var ex = Assert.Throws<InvalidOperationException>(() => pool.For(4, new NestedWork(pool)));
        Assert.Contains("nested", ex.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new CpuWorkerPool(-1));
    }

    [Fact]
    public void Loops_allocate_nothing_in_steady_state()
    {
        using var pool = new CpuWorkerPool(2);
        var work = new CountingWork(64);
        for (int i = 0; i < 100; i++) pool.For(64, work);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++) pool.For(64, work);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 1024, $"1000 loops allocated {allocated} bytes");
    }
}
