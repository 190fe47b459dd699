// Surface materials of procedural scenes: a base colour, an optional procedural pattern
// (evaluated by Textures), how mirror-like the surface is and how strong its highlight.
using System.Numerics;

namespace Rtfm.Scenes;

/// <summary>The procedural pattern of a surface (see <see cref="Textures"/>).</summary>
public enum TextureKind
{
    Solid,
    Checker,
    Stripes,
    Tiles,
}

/// <param name="Color">Base colour (linear, 0..1).</param>
/// <param name="Color2">Second colour of a pattern (grout colour of tiles).</param>
/// <param name="Texture">The pattern.</param>
/// <param name="Scale">Pattern cells per metre.</param>
/// <param name="Reflectivity">0 = matte, ~0.9 = mirror; above 0.5 counts as a reflective surface.</param>
/// <param name="Specular">Strength of a Blinn-Phong highlight.</param>
public sealed record Material(Vector3 Color, Vector3 Color2, TextureKind Texture, float Scale, float Reflectivity, float Specular)
{
    /// <summary>Reflectivity above which a surface counts as a mirror.</summary>
    public const float MirrorThreshold = 0.5f;

    public bool IsMirror => Reflectivity > MirrorThreshold;

    public static Material Matte(Vector3 color) => new(color, color, TextureKind.Solid, 1f, 0f, 0.1f);

    public static Material Mirror(Vector3 tint) => new(tint, tint, TextureKind.Solid, 1f, 0.9f, 0.6f);
}
