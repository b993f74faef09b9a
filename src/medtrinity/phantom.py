"""A synthetic abdominal CT phantom with spherical lesions of known size, place and contrast.

The truth it returns is what the measurement tests check the pipeline against: a 20 mm
lesion must measure 20 mm, a lesion in the phantom's right liver lobe must be reported on the
patient's right, inside the liver, hypodense and homogeneous.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

SHAPE_ZYX = (40, 256, 256)
SPACING_XYZ_MM = (1.25, 1.25, 2.5)

LABELS: dict[int, str] = {1: "liver", 2: "spleen", 3: "vertebra", 4: "liver lesion", 5: "splenic lesion"}
HU = {"air": -1000.0, "fat": -100.0, "muscle": 45.0, "liver": 105.0, "spleen": 95.0, "bone": 700.0}


@dataclass(frozen=True)
class LesionTruth:
    """Where a phantom lesion is and what it looks like, in the canonical LPS grid.

    The centre lies mid-slice along z (so slice ``center_zyx_px[0]`` cuts the full diameter)
    and on a pixel corner in-plane (so a 20 mm disc covers a whole number of pixels).
    """

    label: str
    center_zyx_px: tuple[int, int, int]
    diameter_mm: float
    hu: float
    noise_sd_hu: float
    organ: str
    side: str
    intensity: str
    texture: str
    margin: str = "well-defined"
    edge_width_mm: float = 0.0

    @property
    def volume_ml(self) -> float:
        return 4.0 / 3.0 * np.pi * (self.diameter_mm / 2.0) ** 3 / 1000.0


LESIONS: tuple[LesionTruth, ...] = (
    LesionTruth("liver lesion", (12, 110, 80), 20.0, 45.0, 8.0, "liver", "right", "hypodense", "homogeneous"),
    LesionTruth("liver lesion", (24, 128, 70), 12.5, 185.0, 8.0, "liver", "right", "hyperdense", "homogeneous"),
    LesionTruth("splenic lesion", (20, 150, 205), 25.0, 40.0, 35.0, "spleen", "left", "hypodense", "heterogeneous"),
    LesionTruth("liver lesion", (30, 105, 72), 18.0, 50.0, 8.0, "liver", "right", "hypodense", "homogeneous",
                margin="ill-defined", edge_width_mm=1.5),
)


def _ellipsoid(grid_mm, center_mm, semi_axes_mm) -> np.ndarray:
    z, y, x = grid_mm
    cz, cy, cx = center_mm
    az, ay, ax = semi_axes_mm
    return ((z - cz) / az) ** 2 + ((y - cy) / ay) ** 2 + ((x - cx) / ax) ** 2 <= 1.0


def _lesion_texture(rng: np.random.Generator, lesion: LesionTruth, sphere: np.ndarray) -> np.ndarray:
    """The HU deviations of a lesion's voxels: pixel noise for a homogeneous one. A heterogeneous one is patches
    a few millimetres across (noise smoothed in-plane over ~2.5 mm, rescaled to ``noise_sd_hu``), plus pixel
    noise: regions that differ, which a reader sees as heterogeneous. Fine-grained noise alone would be a noisy
    image, not a heterogeneous lesion (and the texture measure averages it out)."""
    if lesion.texture != "heterogeneous":
        return rng.normal(0.0, lesion.noise_sd_hu, size=int(sphere.sum()))
    box = tuple(slice(int(index.min()), int(index.max()) + 1) for index in np.nonzero(sphere))
    sigma_x, sigma_y = 2.5 / SPACING_XYZ_MM[0], 2.5 / SPACING_XYZ_MM[1]
    field = np.stack([cv2.GaussianBlur(plane, (0, 0), sigmaX=sigma_x, sigmaY=sigma_y, borderType=cv2.BORDER_REFLECT)
                      for plane in rng.normal(0.0, 1.0, size=sphere[box].shape).astype(np.float32)])
    patches = field[sphere[box]].astype(np.float64)
    patches = (patches - patches.mean()) / patches.std() * lesion.noise_sd_hu
    return patches + rng.normal(0.0, 8.0, size=patches.size)


def make_ct_phantom(
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, tuple[float, float, float], tuple[LesionTruth, ...]]:
    """HU volume and label volume in LPS ``[z, y, x]`` order, voxel size (x, y, z) in mm, lesion truth.

    Image columns grow towards the patient's left, so the liver (patient's right) lies at low x.
    """
    rng = np.random.default_rng(seed)
    sx, sy, sz = SPACING_XYZ_MM
    nz, ny, nx = SHAPE_ZYX
    z, y, x = np.meshgrid(
        (np.arange(nz) + 0.5) * sz, (np.arange(ny) + 0.5) * sy, (np.arange(nx) + 0.5) * sx, indexing="ij"
    )
    grid = (z, y, x)
    hu = np.full(SHAPE_ZYX, HU["air"], dtype=np.float32)
    labels = np.zeros(SHAPE_ZYX, dtype=np.int16)
    center_x, center_y = nx * sx / 2.0, ny * sy / 2.0
    body = ((y - center_y) / 110.0) ** 2 + ((x - center_x) / 145.0) ** 2 <= 1.0
    hu[body] = HU["fat"]
    muscle = body & ~(((y - center_y) / 98.0) ** 2 + ((x - center_x) / 133.0) ** 2 <= 1.0)
    hu[muscle] = HU["muscle"]
    liver = _ellipsoid(grid, (50.0, 150.0, 100.0), (45.0, 55.0, 65.0))
    spleen = _ellipsoid(grid, (50.0, 190.0, 255.0), (40.0, 40.0, 28.0))
    vertebra = (((y - 235.0) / 18.0) ** 2 + ((x - center_x) / 18.0) ** 2 <= 1.0)
    for value, region, tissue in ((1, liver, "liver"), (2, spleen, "spleen"), (3, vertebra, "bone")):
        hu[region] = HU[tissue]
        labels[region] = value
    hu += rng.normal(0.0, 8.0, size=SHAPE_ZYX).astype(np.float32)
    for lesion in LESIONS:
        cz, cy, cx = lesion.center_zyx_px
        center_mm = ((cz + 0.5) * sz, cy * sy, cx * sx)  # slice centre, pixel corner in-plane
        radius = lesion.diameter_mm / 2.0
        sphere = _ellipsoid(grid, center_mm, (radius, radius, radius))
        value = next(v for v, name in LABELS.items() if name == lesion.label)
        labels[sphere] = value
        if lesion.edge_width_mm > 0:
            # an ill-defined lesion: its density fades into the organ over a sigmoid edge
            reach = radius + 4 * lesion.edge_width_mm
            region = _ellipsoid(grid, center_mm, (reach, reach, reach))
            distance = np.sqrt(sum((axis[region] - c) ** 2 for axis, c in zip(grid, center_mm, strict=True)))
            weight = 1.0 / (1.0 + np.exp(-(radius - distance) / lesion.edge_width_mm))
            noise = rng.normal(0.0, lesion.noise_sd_hu, size=int(region.sum()))
            hu[region] = (hu[region] * (1 - weight) + (lesion.hu + noise) * weight).astype(np.float32)
        else:
            hu[sphere] = (lesion.hu + _lesion_texture(rng, lesion, sphere)).astype(np.float32)
    return np.round(hu).astype(np.float32), labels, SPACING_XYZ_MM, LESIONS


def phantom_affine_ras() -> np.ndarray:
    """The NIfTI (RAS) affine of the phantom when written with its array transposed to ``[x, y, z]``.

    The array's x grows to the patient's left and y to posterior, so both axes get a negative
    RAS direction.
    """
    sx, sy, sz = SPACING_XYZ_MM
    return np.diag([-sx, -sy, sz, 1.0])
