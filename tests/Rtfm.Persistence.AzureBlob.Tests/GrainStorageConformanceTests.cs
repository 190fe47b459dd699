// One grain storage conformance suite, written once and run against every store the silo may
// use: the embedded file store (Orleans' FileGrainStorage) and the blob store on Azurite. It
// pins the contract the grains rely on: missing state reads as default, ETags guard every
// write and clear, a lost race throws InconsistentStateException and loses no update.
using Orleans.Storage;

namespace Rtfm.Persistence.AzureBlob.Tests;

/// <summary>The state the suite stores (serialized by the silo's grain storage serializer, which accepts generated-serializer types only).</summary>
[GenerateSerializer]
public sealed class ConformanceState
{
    [Id(0)] public string Text { get; set; } = "";
    [Id(1)] public List<int> Numbers { get; set; } = [];
    [Id(2)] public byte[] Payload { get; set; } = [];
}

public abstract class GrainStorageConformanceTests<TFixture>(TFixture fixture) where TFixture : StorageSiloFixture
{
    private const string StateName = "conformance";

    private IGrainStorage First => fixture.Storage(StorageSiloFixture.First);

    private IGrainStorage Second => fixture.Storage(StorageSiloFixture.Second);

    /// <summary>A grain id of its own per test (seeded, so a failure names the same grain each run; the backend is fresh per run).</summary>
    private static GrainId NewGrain(Random random) => GrainId.Create("conformance-grain", $"g{random.NextInt64():x16}");

    private static ConformanceState RandomState(Random random, int payloadBytes = 64)
    {
        var payload = new byte[payloadBytes];
        random.NextBytes(payload);
        return new ConformanceState
        {
            Text = $"text-{random.Next():x8}-é✓",
            Numbers = Enumerable.Range(0, 1 + random.Next(8)).Select(_ => random.Next()).ToList(),
            Payload = payload,
        };
    }

    private static void AssertSameState(ConformanceState? expected, ConformanceState? actual, string context)
    {
        Assert.NotNull(expected);
        Assert.True(actual is not null, $"{context}: the state object is null");
        Assert.True(expected.Text == actual.Text, $"{context}: Text '{actual.Text}', expected '{expected.Text}'");
        Assert.True(expected.Numbers.SequenceEqual(actual.Numbers), $"{context}: Numbers [{string.Join(',', actual.Numbers)}], expected [{string.Join(',', expected.Numbers)}]");
        Assert.True(expected.Payload.AsSpan().SequenceEqual(actual.Payload), $"{context}: Payload of {actual.Payload.Length} bytes differs from the {expected.Payload.Length} written");
    }

    private static async Task<GrainState<ConformanceState>> ReadAsync(IGrainStorage storage, GrainId grain)
    {
        var state = new GrainState<ConformanceState>();
        await storage.ReadStateAsync(StateName, grain, state);
        return state;
    }

    [Fact]
    public async Task Reading_missing_state_gives_a_default_state_without_etag()
    {
        var grain = NewGrain(new Random(1));
        var state = new GrainState<ConformanceState> { State = RandomState(new Random(2)), ETag = null };
        await First.ReadStateAsync(StateName, grain, state);
        Assert.False(state.RecordExists, "RecordExists after reading a grain that was never written");
        Assert.Null(state.ETag);
        Assert.NotNull(state.State);
        Assert.Equal("", state.State!.Text);
        Assert.Empty(state.State.Numbers);
    }

    [Fact]
    public async Task Write_then_read_round_trips_and_every_write_changes_the_etag()
    {
        var random = new Random(3);
        var grain = NewGrain(random);
        var written = new GrainState<ConformanceState> { State = RandomState(random) };
        await First.WriteStateAsync(StateName, grain, written);
        Assert.True(written.RecordExists);
        Assert.False(string.IsNullOrEmpty(written.ETag), "a write must set the ETag");
        string firstEtag = written.ETag!;

        var read = await ReadAsync(First, grain);
        Assert.True(read.RecordExists);
        Assert.Equal(firstEtag, read.ETag);
        AssertSameState(written.State, read.State, "read after the first write");

        written.State = RandomState(random);
        await First.WriteStateAsync(StateName, grain, written);
        Assert.NotEqual(firstEtag, written.ETag);
        AssertSameState(written.State, (await ReadAsync(First, grain)).State, "read after the second write");
    }

    [Fact]
    public async Task A_write_with_a_stale_etag_throws_and_the_newer_state_is_kept()
    {
        var random = new Random(4);
        var grain = NewGrain(random);
        var seed = new GrainState<ConformanceState> { State = RandomState(random) };
        await First.WriteStateAsync(StateName, grain, seed);

        var a = await ReadAsync(First, grain);
        var b = await ReadAsync(Second, grain);
        a.State = RandomState(random);
        await First.WriteStateAsync(StateName, grain, a);

        string staleEtag = b.ETag!;
        b.State = RandomState(random);
        await Assert.ThrowsAsync<InconsistentStateException>(() => Second.WriteStateAsync(StateName, grain, b));
        Assert.Equal(staleEtag, b.ETag); // a refused write leaves the caller's ETag as it was

        var now = await ReadAsync(Second, grain);
        AssertSameState(a.State, now.State, "after the refused stale write, the accepted write's state");
        Assert.Equal(a.ETag, now.ETag);
    }

    [Fact]
    public async Task A_first_write_over_existing_state_throws_and_the_existing_state_is_kept()
    {
        var random = new Random(5);
        var grain = NewGrain(random);
        var a = new GrainState<ConformanceState> { State = RandomState(random) };
        var b = new GrainState<ConformanceState> { State = RandomState(random) };
        await First.WriteStateAsync(StateName, grain, a);
        // b never read the grain (no ETag): its write would overwrite a's state unseen.
        await Assert.ThrowsAsync<InconsistentStateException>(() => Second.WriteStateAsync(StateName, grain, b));
        var now = await ReadAsync(Second, grain);
        AssertSameState(a.State, now.State, "after the refused first write");
        Assert.Equal(a.ETag, now.ETag);
    }

    /// <summary>
    /// Two instances write the same fresh grain at the same moment, <paramref name="rounds"/>
    /// times. Only stores whose conditional writes are atomic can pass this (the blob store);
    /// Orleans' file store checks then writes (docs/decisions.md).
    /// </summary>
    protected async Task AssertExactlyOneOfTwoRacingFirstWritesWins(int rounds)
    {
        var random = new Random(11);
        for (int round = 0; round < rounds; round++)
        {
            var grain = NewGrain(random);
            var states = new[] { new GrainState<ConformanceState> { State = RandomState(random) }, new GrainState<ConformanceState> { State = RandomState(random) } };
            var storages = new[] { First, Second };
            var outcomes = await Task.WhenAll(Enumerable.Range(0, 2).Select(i => Task.Run(async () =>
            {
                try
                {
                    await storages[i].WriteStateAsync(StateName, grain, states[i]);
                    return (Won: true, Error: (Exception?)null);
                }
                catch (Exception e)
                {
                    return (Won: false, Error: e);
                }
            })));
            int winners = outcomes.Count(o => o.Won);
            Assert.True(winners == 1, $"round {round}: {winners} of 2 first writes succeeded; errors: {string.Join(" | ", outcomes.Select(o => o.Error?.GetType().Name ?? "none"))}");
            var loser = outcomes.Single(o => !o.Won).Error!;
            Assert.True(loser is InconsistentStateException, $"round {round}: the losing write threw {loser.GetType().Name}: {loser.Message}");
            int winner = outcomes[0].Won ? 0 : 1;
            var stored = await ReadAsync(First, grain);
            AssertSameState(states[winner].State, stored.State, $"round {round}: stored state vs the winner's");
            Assert.Equal(states[winner].ETag, stored.ETag);
        }
    }

    [Fact]
    public async Task Clear_resets_the_state_object_and_a_later_read_finds_nothing()
    {
        var random = new Random(6);
        var grain = NewGrain(random);
        var state = new GrainState<ConformanceState> { State = RandomState(random) };
        await First.WriteStateAsync(StateName, grain, state);
        await First.ClearStateAsync(StateName, grain, state);
        Assert.False(state.RecordExists, "RecordExists after clear");
        Assert.Equal("", state.State!.Text);
        Assert.Empty(state.State.Payload);

        var read = await ReadAsync(Second, grain);
        Assert.False(read.RecordExists, "RecordExists when reading a cleared grain");
        Assert.Equal("", read.State!.Text);

        // The grain can start again: write from the cleared state object, then read it back.
        state.State = RandomState(random);
        await First.WriteStateAsync(StateName, grain, state);
        AssertSameState(state.State, (await ReadAsync(Second, grain)).State, "after writing a cleared grain again");
    }

    [Fact]
    public async Task Clear_with_a_stale_etag_throws_and_keeps_the_newer_state()
    {
        var random = new Random(7);
        var grain = NewGrain(random);
        var a = new GrainState<ConformanceState> { State = RandomState(random) };
        await First.WriteStateAsync(StateName, grain, a);
        var b = await ReadAsync(Second, grain);
        a.State = RandomState(random);
        await First.WriteStateAsync(StateName, grain, a);

        await Assert.ThrowsAsync<InconsistentStateException>(() => Second.ClearStateAsync(StateName, grain, b));
        var now = await ReadAsync(First, grain);
        Assert.True(now.RecordExists, "the state must survive a clear with a stale ETag");
        AssertSameState(a.State, now.State, "after the refused clear");
    }

    [Fact]
    public async Task A_large_state_round_trips()
    {
        var random = new Random(8);
        var grain = NewGrain(random);
        var state = new GrainState<ConformanceState> { State = RandomState(random, payloadBytes: 4 << 20) };
        await First.WriteStateAsync(StateName, grain, state);
        var read = await ReadAsync(Second, grain);
        AssertSameState(state.State, read.State, "4 MiB payload");
    }

    [Fact]
    public async Task State_written_by_one_instance_is_read_and_updated_by_another()
    {
        var random = new Random(9);
        var grain = NewGrain(random);
        var state = new GrainState<ConformanceState> { State = RandomState(random) };
        await First.WriteStateAsync(StateName, grain, state);

        // The second instance never saw this grain: as after a restart or a move to another silo.
        var resumed = await ReadAsync(Second, grain);
        Assert.True(resumed.RecordExists);
        AssertSameState(state.State, resumed.State, "read by a new instance");
        resumed.State = RandomState(random);
        await Second.WriteStateAsync(StateName, grain, resumed);
        AssertSameState(resumed.State, (await ReadAsync(First, grain)).State, "the first instance reads the second's update");
    }

    [Fact]
    public async Task Grains_and_state_names_do_not_share_state()
    {
        var random = new Random(10);
        var grainA = NewGrain(random);
        var grainB = GrainId.Create("conformance-grain", grainA.Key.ToString() + "/x");
        var a = new GrainState<ConformanceState> { State = RandomState(random) };
        var b = new GrainState<ConformanceState> { State = RandomState(random) };
        await First.WriteStateAsync(StateName, grainA, a);
        await First.WriteStateAsync(StateName, grainB, b);
        var other = new GrainState<ConformanceState>();
        await First.ReadStateAsync(StateName + "-other", grainA, other);
        Assert.False(other.RecordExists, "another state name of the same grain must read as missing");
        AssertSameState(a.State, (await ReadAsync(Second, grainA)).State, "grain A");
        AssertSameState(b.State, (await ReadAsync(Second, grainB)).State, "grain B");
    }
}
