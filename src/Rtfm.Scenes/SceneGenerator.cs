// Seeded procedural scenes: rooms (floor, four walls, ceiling, a wall mirror) and open spaces
// (ground, sky, scattered blocks), each with boxes, spheres (one of them a mirror), textured
// surfaces and a point light. Every number comes from DeterministicRandom, so a seed gives
// the same scene on every machine.
using System.Numerics;
using Rtfm.Core.Numerics;

namespace Rtfm.Scenes;

public static class SceneGenerator
{
    /// <summary>A scene whose kind is also chosen by the seed (two rooms for every open space).</summary>
    public static Scene Generate(int seed)
    {
        var rng = DeterministicRandom.ForStream((ulong)seed, 0xC0FFEE);
        return Generate(seed, rng.NextInt(3) == 2 ? SceneKind.OpenSpace : SceneKind.Room);
    }

    public static Scene Generate(int seed, SceneKind kind)
    {
        var rng = DeterministicRandom.ForStream((ulong)seed, (ulong)kind + 1);
        return kind == SceneKind.Room ? Room(seed, rng) : OpenSpace(seed, rng);
    }

    private static Vector3 Colour(DeterministicRandom rng, float lo = 0.15f, float hi = 0.95f)
    {
        // Saturated colours read better at 64x64: one channel high, one low, one in between.
        float a = (float)rng.NextDouble(lo, hi), b = (float)rng.NextDouble(lo, hi), c = (float)rng.NextDouble(lo, hi);
        return rng.NextInt(3) switch
        {
            0 => new Vector3(hi, a * 0.6f, b * 0.4f + c * 0.2f),
            1 => new Vector3(a * 0.4f, hi * 0.9f, b * 0.6f),
            _ => new Vector3(b * 0.5f, a * 0.5f, hi),
        };
    }

    private static Material Surface(DeterministicRandom rng, float scaleLo, float scaleHi)
    {
        var kind = (TextureKind)rng.NextInt(4);
        var c1 = Colour(rng);
        var c2 = Vector3.Lerp(c1, Colour(rng, 0.05f, 0.6f), 0.7f);
        return new Material(c1, c2, kind, (float)rng.NextDouble(scaleLo, scaleHi), 0f, (float)rng.NextDouble(0.05, 0.4));
    }

    private static Scene Room(int seed, DeterministicRandom rng)
    {
        float w = (float)rng.NextDouble(6, 10), d = (float)rng.NextDouble(6, 10), h = (float)rng.NextDouble(3, 4);
        var floor = Surface(rng, 1, 3) with { Texture = rng.NextInt(2) == 0 ? TextureKind.Checker : TextureKind.Tiles };
        var wall = Surface(rng, 0.8f, 2.5f);
        var wall2 = Surface(rng, 0.8f, 2.5f);
        var ceiling = Material.Matte(new Vector3(0.85f, 0.85f, 0.8f));
        var planes = new List<ScenePlane>
        {
            new(Vector3.UnitY, 0, floor),
            new(-Vector3.UnitY, -h, ceiling),
            new(Vector3.UnitX, 0, wall),
            new(-Vector3.UnitX, -w, wall),
            new(Vector3.UnitZ, 0, wall2),
            new(-Vector3.UnitZ, -d, wall2),
        };
        var boxes = new List<SceneBox>();
        var spheres = new List<SceneSphere>();
        // A mirror panel on one wall, slightly in front of it.
        int side = rng.NextInt(4);
        float along = (float)rng.NextDouble(1.5, (side < 2 ? d : w) - 3.5);
        float len = (float)rng.NextDouble(1.6, 2.4);
        var mirror = Material.Mirror(new Vector3(0.95f, 0.97f, 1f));
        boxes.Add(side switch
        {
            0 => new SceneBox(new(0.01f, 0.4f, along), new(0.06f, 2.6f, along + len), mirror),
            1 => new SceneBox(new(w - 0.06f, 0.4f, along), new(w - 0.01f, 2.6f, along + len), mirror),
            2 => new SceneBox(new(along, 0.4f, 0.01f), new(along + len, 2.6f, 0.06f), mirror),
            _ => new SceneBox(new(along, 0.4f, d - 0.06f), new(along + len, 2.6f, d - 0.01f), mirror),
        });
        PlaceObjects(rng, boxes, spheres, new Vector2(0.4f, 0.4f), new Vector2(w - 0.4f, d - 0.4f), boxCount: 3 + rng.NextInt(4), sphereCount: 2 + rng.NextInt(3), maxBox: 1.3f, keepClear: new Vector2(w / 2, d / 2));
        var light = new PointLight(new Vector3((float)rng.NextDouble(w * 0.3, w * 0.7), h - 0.25f, (float)rng.NextDouble(d * 0.3, d * 0.7)), new Vector3(1.6f, 1.5f, 1.35f), 0.02f);
        return new Scene(seed, SceneKind.Room, planes, boxes, spheres, [light],
            Ambient: new Vector3(0.18f), SkyHorizon: Vector3.Zero, SkyZenith: Vector3.Zero,
            Bounds: new Aabb(new Vector3(0.7f, 1.2f, 0.7f), new Vector3(w - 0.7f, 1.7f, d - 0.7f)));
    }

    private static Scene OpenSpace(int seed, DeterministicRandom rng)
    {
        var ground = Surface(rng, 0.5f, 1.5f) with { Texture = rng.NextInt(2) == 0 ? TextureKind.Checker : TextureKind.Tiles };
        var planes = new List<ScenePlane> { new(Vector3.UnitY, 0, ground) };
        var boxes = new List<SceneBox>();
        var spheres = new List<SceneSphere>();
        PlaceObjects(rng, boxes, spheres, new Vector2(-9, -9), new Vector2(9, 9), boxCount: 5 + rng.NextInt(4), sphereCount: 3 + rng.NextInt(3), maxBox: 2.0f, keepClear: Vector2.Zero);
        // A ring of tall blocks far out, so every direction has something to see.
        for (int i = 0; i < 8; i++)
        {
            var (c, s) = DeterministicMath.CosSinTurns((i + 0.5 * rng.NextDouble()) / 8.0);
            float r = (float)rng.NextDouble(11, 14), half = (float)rng.NextDouble(0.8, 1.8);
            var centre = new Vector2((float)c * r, (float)s * r);
            boxes.Add(new SceneBox(new(centre.X - half, 0, centre.Y - half), new(centre.X + half, (float)rng.NextDouble(2.5, 6), centre.Y + half), Surface(rng, 0.5f, 2f)));
        }
        var light = new PointLight(new Vector3((float)rng.NextDouble(-4, 4), 9f, (float)rng.NextDouble(-4, 4)), new Vector3(1.9f, 1.8f, 1.6f), 0.004f);
        return new Scene(seed, SceneKind.OpenSpace, planes, boxes, spheres, [light],
            Ambient: new Vector3(0.22f, 0.23f, 0.27f), SkyHorizon: new Vector3(0.75f, 0.82f, 0.92f), SkyZenith: new Vector3(0.25f, 0.45f, 0.85f),
            Bounds: new Aabb(new Vector3(-8, 1.2f, -8), new Vector3(8, 1.7f, 8)));
    }

    /// <summary>Boxes and spheres on the floor without overlaps, one sphere a mirror, the spot <paramref name="keepClear"/> left free.</summary>
    private static void PlaceObjects(DeterministicRandom rng, List<SceneBox> boxes, List<SceneSphere> spheres, Vector2 lo, Vector2 hi,
        int boxCount, int sphereCount, float maxBox, Vector2 keepClear)
    {
        var footprints = new List<(Vector2 C, float R)> { (keepClear, 1.0f) };
        bool Free(Vector2 c, float r)
        {
            foreach (var f in footprints)
                if (Vector2.Distance(c, f.C) < r + f.R + 0.5f) return false;
            return c.X - r > lo.X && c.X + r < hi.X && c.Y - r > lo.Y && c.Y + r < hi.Y;
        }
        for (int i = 0, tries = 0; i < boxCount && tries < 400; tries++)
        {
            float sx = (float)rng.NextDouble(0.4, maxBox), sz = (float)rng.NextDouble(0.4, maxBox), sy = (float)rng.NextDouble(0.4, maxBox * 1.4);
            var c = new Vector2((float)rng.NextDouble(lo.X, hi.X), (float)rng.NextDouble(lo.Y, hi.Y));
            float r = 0.5f * MathF.Sqrt(sx * sx + sz * sz);
            if (!Free(c, r)) continue;
            footprints.Add((c, r));
            boxes.Add(new SceneBox(new(c.X - sx / 2, 0, c.Y - sz / 2), new(c.X + sx / 2, sy, c.Y + sz / 2), Surface(rng, 2, 6)));
            i++;
        }
        for (int i = 0, tries = 0; i < sphereCount && tries < 400; tries++)
        {
            float r = (float)rng.NextDouble(0.3, 0.75);
            var c = new Vector2((float)rng.NextDouble(lo.X, hi.X), (float)rng.NextDouble(lo.Y, hi.Y));
            if (!Free(c, r)) continue;
            footprints.Add((c, r));
            var material = i == 0 ? Material.Mirror(new Vector3(0.9f, 0.92f, 0.95f)) : Surface(rng, 3, 8);
            spheres.Add(new SceneSphere(new(c.X, r, c.Y), r, material));
            i++;
        }
    }
}
