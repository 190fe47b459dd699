// Seeded camera paths through a scene: orbit, walk, out-and-back loop and random walk. Every
// pose keeps the eye inside the scene's Bounds and clear of its obstacles, looks roughly
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

    /// <summary>Largest heading change of a walk between frames, in turns (5°).</summary>
    public const double MaxTurnPerFrame = 5.0 / 360.0;

    /// <summary>How far ahead a walk looks for walls and objects, in metres (ten steps).</summary>
    public const float LookAhead = 1.5f;

    /// <summary>Largest rate of the free wander of a walk, in turns per frame (about 4°).</summary>
    private const double MaxWander = 0.012;

    /// <summary>Camera pitch: slightly down, so floors and objects fill the frame.</summary>
    private const float Pitch = -0.12f;

    /// <summary>Valid names for <see cref="Parse"/>.</summary>
    public static IReadOnlyList<string> Names { get; } = ["orbit", "walk", "loop", "random"];

    /// <summary>The kind named <paramref name="name"/> (case-insensitive; "loop" is the out-and-back path).</summary>
    public static TrajectoryKind Parse(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.Trim().ToLowerInvariant() switch
        {
            "orbit" => TrajectoryKind.Orbit,
            "walk" => TrajectoryKind.Walk,
            "loop" or "out-and-back" => TrajectoryKind.Loop,
            "random" or "random-walk" => TrajectoryKind.Random,
            _ => throw new ArgumentException($"unknown trajectory '{name}': use one of {string.Join(", ", Names)}", nameof(name)),
        };
    }

    /// <summary>The path of <paramref name="kind"/>: exactly <paramref name="frames"/> poses, a pure function of the arguments.</summary>
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

    /// <summary>A circle around the centre of the scene's Bounds looking inwards; the largest radius whose every pose is clear.</summary>
    public static IReadOnlyList<Pose> Orbit(Scene scene, int frames, int seed)
    {
        Check(scene, frames);
        var rng = DeterministicRandom.ForStream((ulong)seed, 1);
        var centre = scene.Bounds.Center;
        float y = (float)rng.NextDouble(scene.Bounds.Min.Y, scene.Bounds.Max.Y);
        double start = rng.NextDouble();
        float maxR = 0.5f * Math.Min(scene.Bounds.Max.X - scene.Bounds.Min.X, scene.Bounds.Max.Z - scene.Bounds.Min.Z);
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

    /// <summary>
    /// A smooth forward walk: <see cref="WalkStep"/> per frame, a slowly wandering heading, and
    /// obstacles and walls seen <see cref="LookAhead"/> ahead so it turns away in time. It never
    /// turns more than <see cref="MaxTurnPerFrame"/> between frames; when the next step is
    /// blocked it stands and turns, so consecutive frames always overlap.
    /// </summary>
    public static IReadOnlyList<Pose> Walk(Scene scene, int frames, int seed)
    {
        Check(scene, frames);
        var rng = DeterministicRandom.ForStream((ulong)seed, 2);
        var eye = ClearSpot(scene, rng);
        double yaw = rng.NextDouble();
        double wander = (rng.NextDouble() - 0.5) * 0.01; // turns per frame
        int avoid = 0; // side of the turn away from what is ahead (+1 / −1), 0 while the way is free
        var poses = new Pose[frames];
        for (int i = 0; i < frames; i++)
        {
            poses[i] = Look(eye, yaw);
            if (i == frames - 1) break;
            wander = Math.Clamp(wander + (rng.NextDouble() - 0.5) * 0.004, -MaxWander, MaxWander);
            double turn = wander;
            if (FreeDistance(scene, eye, yaw) < LookAhead)
            {
                // Keep turning the same way until the way is free, so the walk does not dither.
                if (avoid == 0) avoid = FreeDistance(scene, eye, yaw + 0.125) >= FreeDistance(scene, eye, yaw - 0.125) ? 1 : -1;
                turn = avoid * MaxTurnPerFrame;
            }
            else
            {
                avoid = 0;
            }
            yaw += turn;
            var next = eye + WalkStep * Heading(yaw);
            if (scene.IsClear(next)) eye = next;
        }
        return poses;
    }

    /// <summary>How far (in whole walk steps, up to <see cref="LookAhead"/>) the eye can go along <paramref name="yawTurns"/> staying clear.</summary>
    private static float FreeDistance(Scene scene, Vector3 eye, double yawTurns)
    {
        var heading = Heading(yawTurns);
        int steps = (int)(LookAhead / WalkStep + 0.5f);
        for (int k = 1; k <= steps; k++)
            if (!scene.IsClear(eye + k * WalkStep * heading)) return (k - 1) * WalkStep;
        return steps * WalkStep;
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
                var next = new Vector3(eye.X + step.X, Math.Clamp(eye.Y + (float)rng.NextDouble(-0.05, 0.05), scene.Bounds.Min.Y, scene.Bounds.Max.Y), eye.Z + step.Z);
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
                (float)rng.NextDouble(scene.Bounds.Min.X, scene.Bounds.Max.X),
                (float)rng.NextDouble(scene.Bounds.Min.Y, scene.Bounds.Max.Y),
                (float)rng.NextDouble(scene.Bounds.Min.Z, scene.Bounds.Max.Z));
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
