// Seeded camera paths through a scene: orbit, walk, out-and-back loop and random walk. Every
// pose keeps the eye inside the scene's walk region and clear of objects, looks roughly
// horizontally, and is computed with DeterministicMath so paths repeat on every machine.
using System.Numerics;
using Rtfm.Core.Geometry;
using Rtfm.Core.Numerics;

namespace Rtfm.Scenes;

public enum TrajectoryKind
{
    Orbit,
    Walk,
    Loop,
    Random,
}

public static class Trajectories
{
    /// <summary>Metres per frame of a walk.</summary>
    public const float WalkStep = 0.15f;

    /// <summary>Camera pitch: slightly down, so floors and objects fill the frame.</summary>
    private const float Pitch = -0.12f;

    public static TrajectoryKind Parse(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.Trim().ToLowerInvariant() switch
        {
            "orbit" => TrajectoryKind.Orbit,
            "walk" => TrajectoryKind.Walk,
            "loop" or "out-and-back" => TrajectoryKind.Loop,
            "random" or "random-walk" => TrajectoryKind.Random,
            _ => throw new ArgumentException($"unknown trajectory '{name}': use one of orbit, walk, loop, random"),
        };
    }

    public static IReadOnlyList<Pose> Create(TrajectoryKind kind, Scene scene, int frames, int seed) => kind switch
    {
        TrajectoryKind.Orbit => Orbit(scene, frames, seed),
        TrajectoryKind.Walk => Walk(scene, frames, seed),
        TrajectoryKind.Loop => OutAndBack(scene, frames, seed),
        TrajectoryKind.Random => RandomWalk(scene, frames, seed),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>A pose at <paramref name="eye"/> with heading <paramref name="yawTurns"/> (fraction of a full turn, 0 = +Z).</summary>
    public static Pose Look(Vector3 eye, double yawTurns, float pitch = Pitch)
    {
        var (c, s) = DeterministicMath.CosSinTurns(yawTurns - Math.Floor(yawTurns));
        var forward = new Vector3((float)s, pitch, (float)c);
        return Pose.LookAt(eye, eye + forward);
    }

    /// <summary>A circle around the walk region's centre looking inwards; the largest radius whose every pose is clear.</summary>
    public static IReadOnlyList<Pose> Orbit(Scene scene, int frames, int seed)
    {
        Check(scene, frames);
        var rng = DeterministicRandom.ForStream((ulong)seed, 1);
        var centre = scene.WalkCenter;
        float y = (float)rng.NextDouble(scene.WalkMin.Y, scene.WalkMax.Y);
        double start = rng.NextDouble();
        float maxR = 0.5f * Math.Min(scene.WalkMax.X - scene.WalkMin.X, scene.WalkMax.Z - scene.WalkMin.Z);
        for (float r = maxR * 0.95f; r > 0.3f; r *= 0.85f)
        {
            var poses = new Pose[frames];
            bool clear = true;
            for (int i = 0; i < frames && clear; i++)
            {
                double a = start + (double)i / frames;
                var (c, s) = DeterministicMath.CosSinTurns(a - Math.Floor(a));
                var eye = new Vector3(centre.X + r * (float)s, y, centre.Z + r * (float)c);
                clear = scene.IsClear(eye);
                poses[i] = Look(eye, a + 0.5); // face the centre
            }
            if (clear) return poses;
        }
        // Nothing clear to circle: turn in place at a clear spot, looking outwards.
        var spot = ClearSpot(scene, rng);
        return Enumerable.Range(0, frames).Select(i => Look(spot, start + (double)i / frames)).ToArray();
    }

    /// <summary>A smooth forward walk that turns gently and steers away from walls and objects.</summary>
    public static IReadOnlyList<Pose> Walk(Scene scene, int frames, int seed)
    {
        Check(scene, frames);
        var rng = DeterministicRandom.ForStream((ulong)seed, 2);
        var eye = ClearSpot(scene, rng);
        double yaw = rng.NextDouble();
        double turnRate = (rng.NextDouble() - 0.5) * 0.01; // turns per frame
        var poses = new Pose[frames];
        for (int i = 0; i < frames; i++)
        {
            poses[i] = Look(eye, yaw);
            if (i == frames - 1) break;
            turnRate = Math.Clamp(turnRate + (rng.NextDouble() - 0.5) * 0.004, -0.012, 0.012);
            yaw += turnRate;
            for (int attempt = 0; ; attempt++)
            {
                var next = eye + WalkStep * Heading(yaw);
                if (scene.IsClear(next)) { eye = next; break; }
                if (attempt >= 24) break; // boxed in: stay and keep turning
                yaw += (turnRate >= 0 ? 1 : -1) * 0.03; // turn away ~11 degrees and try again
            }
        }
        return poses;
    }

    /// <summary>
    /// Out and back: a walk for the first half, then the same poses in reverse order, so pose i
    /// and pose n−1−i are identical (the revisit test path).
    /// </summary>
    public static IReadOnlyList<Pose> OutAndBack(Scene scene, int frames, int seed)
    {
        Check(scene, frames);
        int half = (frames + 1) / 2;
        var outbound = Walk(scene, half, seed);
        var poses = new Pose[frames];
        for (int i = 0; i < frames; i++) poses[i] = i < half ? outbound[i] : outbound[frames - 1 - i];
        return poses;
    }

    /// <summary>Small random moves (up to 0.3 m) and turns (up to ±20°) per frame, staying clear.</summary>
    public static IReadOnlyList<Pose> RandomWalk(Scene scene, int frames, int seed)
    {
        Check(scene, frames);
        var rng = DeterministicRandom.ForStream((ulong)seed, 4);
        var eye = ClearSpot(scene, rng);
        double yaw = rng.NextDouble();
        var poses = new Pose[frames];
        for (int i = 0; i < frames; i++)
        {
            poses[i] = Look(eye, yaw);
            yaw += (rng.NextDouble() - 0.5) * (40.0 / 360.0);
            for (int attempt = 0; attempt < 20; attempt++)
            {
                var step = (float)rng.NextDouble(0, 0.3) * Heading(rng.NextDouble());
                var next = new Vector3(eye.X + step.X, Math.Clamp(eye.Y + (float)rng.NextDouble(-0.05, 0.05), scene.WalkMin.Y, scene.WalkMax.Y), eye.Z + step.Z);
                if (scene.IsClear(next)) { eye = next; break; }
            }
        }
        return poses;
    }

    private static Vector3 Heading(double yawTurns)
    {
        var (c, s) = DeterministicMath.CosSinTurns(yawTurns - Math.Floor(yawTurns));
        return new Vector3((float)s, 0, (float)c);
    }

    private static Vector3 ClearSpot(Scene scene, DeterministicRandom rng)
    {
        for (int i = 0; i < 10_000; i++)
        {
            var p = new Vector3(
                (float)rng.NextDouble(scene.WalkMin.X, scene.WalkMax.X),
                (float)rng.NextDouble(scene.WalkMin.Y, scene.WalkMax.Y),
                (float)rng.NextDouble(scene.WalkMin.Z, scene.WalkMax.Z));
            if (scene.IsClear(p)) return p;
        }
        throw new InvalidOperationException($"scene {scene.Name} has no clear spot for a camera");
    }

    private static void Check(Scene scene, int frames)
    {
        ArgumentNullException.ThrowIfNull(scene);
        if (frames < 1) throw new ArgumentOutOfRangeException(nameof(frames), $"a trajectory needs at least 1 frame, got {frames}");
    }
}
