"""Miniature replicas of the public datasets' layouts: the right folder and file names, tiny images.

Each builder writes one dataset the way its download unpacks (names taken from the datasets' own
documentation, not from the recipes) and returns the folder a user would point ``inspect`` at.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import nibabel as nib
import numpy as np

RNG = np.random.default_rng(7)
SHAPE_XYZ = (24, 20, 6)


def nii(path: Path, values: np.ndarray, dtype=np.int16, spacing=(1.5, 1.5, 3.0)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nib.save(nib.Nifti1Image(values.astype(dtype), np.diag([*spacing, 1.0])), path)
    return path


def ct_volume() -> np.ndarray:
    volume = np.full(SHAPE_XYZ, -1000, np.int16)
    volume[3:21, 3:17, :] = 40
    volume[10:14, 8:12, :] = 400
    return volume


def mr_volume(channels: int = 0) -> np.ndarray:
    volume = RNG.normal(300, 40, SHAPE_XYZ).clip(0).astype(np.int16)
    return np.stack([volume] * channels, axis=-1) if channels else volume


def label_volume(values: list[int]) -> np.ndarray:
    labels = np.zeros(SHAPE_XYZ, np.uint8)
    for index, value in enumerate(values):
        labels[4 + index * 3: 7 + index * 3, 5:12, 1:5] = value
    return labels


def png(path: Path, shape=(40, 48), color=False, value=None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if value is not None:
        image = value
    elif color:
        image = RNG.integers(20, 230, (*shape, 3), dtype=np.uint8)
    else:
        image = RNG.integers(20, 230, shape, dtype=np.uint8)
    ok = cv2.imwrite(str(path), image)
    if not ok:  # GIF: OpenCV cannot write it, Pillow can
        from PIL import Image

        Image.fromarray(image).save(path)
    return path


def mask(path: Path, shape=(40, 48), value=255, background=0, box=(10, 10, 25, 30)) -> Path:
    array = np.full(shape, background, np.uint8)
    y0, x0, y1, x1 = box
    array[y0:y1, x0:x1] = value
    return png(path, shape, value=array)


def msd(root: Path, task: str, modality: str, labels: dict[str, str], channels: int = 0) -> Path:
    folder = root / task
    stem = task.split("_", 1)[1].lower()
    (folder / "imagesTs").mkdir(parents=True)
    image = ct_volume() if modality == "CT" else mr_volume(channels)
    nii(folder / "imagesTr" / f"{stem}_001.nii.gz", image)
    nii(folder / "labelsTr" / f"{stem}_001.nii.gz", label_volume([int(v) for v in labels if v != "0"]), np.uint8)
    (folder / "dataset.json").write_text(json.dumps({
        "name": stem, "tensorImageSize": "4D" if channels else "3D", "modality": {"0": modality},
        "labels": labels, "numTraining": 1, "file_ending": ".nii.gz",
        "training": [{"image": f"./imagesTr/{stem}_001.nii.gz", "label": f"./labelsTr/{stem}_001.nii.gz"}]}))
    return folder


def amos(root):
    folder = root / "amos22"
    for case in ("amos_0001", "amos_0004"):
        nii(folder / "imagesTr" / f"{case}.nii.gz", ct_volume())
        nii(folder / "labelsTr" / f"{case}.nii.gz", label_volume([1, 6]), np.uint8)
    (folder / "dataset.json").write_text(json.dumps({
        "name": "AMOS", "modality": {"0": "CT"}, "labels": {"0": "background", "1": "spleen", "6": "liver"},
        "numTraining": 2, "training": []}))
    return folder


def btcv(root):
    folder = root / "RawData"
    nii(folder / "Training" / "img" / "img0001.nii.gz", ct_volume())
    nii(folder / "Training" / "label" / "label0001.nii.gz", label_volume([1, 6, 11]), np.uint8)
    return folder


def kits23(root):
    folder = root / "dataset"
    for case in ("case_00000", "case_00001"):
        nii(folder / case / "imaging.nii.gz", ct_volume())
        nii(folder / case / "segmentation.nii.gz", label_volume([1, 2]), np.uint8)
    return folder


def lits(root):
    folder = root / "LiTS"
    nii(folder / "volume-0.nii", ct_volume())
    nii(folder / "segmentation-0.nii", label_volume([1, 2]), np.uint8)
    return folder


def flare22(root):
    folder = root / "FLARE22Train"
    nii(folder / "images" / "FLARE22_Tr_0001_0000.nii.gz", ct_volume())
    nii(folder / "labels" / "FLARE22_Tr_0001.nii.gz", label_volume([1, 3, 13]), np.uint8)
    return folder


def brats2023(root):
    folder = root / "ASNR-MICCAI-BraTS2023-GLI-Challenge-TrainingData"
    case = folder / "BraTS-GLI-00000-000"
    for sequence in ("t1c", "t1n", "t2f", "t2w"):
        nii(case / f"BraTS-GLI-00000-000-{sequence}.nii.gz", mr_volume())
    nii(case / "BraTS-GLI-00000-000-seg.nii.gz", label_volume([1, 2, 3]), np.uint8)
    return folder


def brats2021(root):
    folder = root / "BraTS2021_Training_Data"
    case = folder / "BraTS2021_00000"
    for sequence in ("t1", "t1ce", "t2", "flair"):
        nii(case / f"BraTS2021_00000_{sequence}.nii.gz", mr_volume())
    nii(case / "BraTS2021_00000_seg.nii.gz", label_volume([1, 2, 4]), np.uint8)
    return folder


def totalsegmentator(root):
    folder = root / "Totalsegmentator_dataset_v201"
    for case in ("s0000", "s0001"):
        nii(folder / case / "ct.nii.gz", ct_volume())
        for index, name in enumerate(("liver", "kidney_left", "spleen")):
            nii(folder / case / "segmentations" / f"{name}.nii.gz", label_volume([1]) if index == 0 else
                np.roll(label_volume([1]), 6 * index, axis=1), np.uint8)
    (folder / "meta.csv").write_text("image_id;age;gender\ns0000;60;m\ns0001;70;f\n")
    return folder


def uls23(root):
    folder = root / "ULS23_DeepLesion3D"
    nii(folder / "images" / "DL_000001_01_01_110_lesion_01.nii.gz", ct_volume())
    nii(folder / "labels" / "DL_000001_01_01_110_lesion_01.nii.gz", label_volume([1]), np.uint8)
    return folder


def acdc(root):
    folder = root / "training"
    case = folder / "patient001"
    nii(case / "patient001_4d.nii.gz", mr_volume(3))
    for frame in ("01", "12"):
        nii(case / f"patient001_frame{frame}.nii.gz", mr_volume())
        nii(case / f"patient001_frame{frame}_gt.nii.gz", label_volume([1, 2, 3]), np.uint8)
    (case / "Info.cfg").write_text("ED: 1\nES: 12\nGroup: DCM\nHeight: 184.0\nNbFrame: 30\nWeight: 95.0\n")
    return folder


def isic2018(root):
    folder = root / "ISIC2018"
    for case in ("ISIC_0000000", "ISIC_0000001"):
        png(folder / "ISIC2018_Task1-2_Training_Input" / f"{case}.jpg", color=True)
        mask(folder / "ISIC2018_Task1_Training_GroundTruth" / f"{case}_segmentation.png")
    return folder


def ham10000(root):
    folder = root / "HAM10000"
    png(folder / "HAM10000_images_part_1" / "ISIC_0024306.jpg", color=True)
    png(folder / "HAM10000_images_part_2" / "ISIC_0032012.jpg", color=True)
    (folder / "HAM10000_metadata.csv").write_text(
        "lesion_id,image_id,dx,dx_type,age,sex,localization\n"
        "HAM_0000118,ISIC_0024306,nv,histo,80.0,male,scalp\n"
        "HAM_0002730,ISIC_0032012,mel,histo,80.0,male,back\n")
    return folder


def kvasir_seg(root):
    folder = root / "Kvasir-SEG"
    noisy = mask(folder / "masks" / "cju0qkwl35piu0993l0dewei2.jpg", value=250, background=3)
    png(folder / "images" / "cju0qkwl35piu0993l0dewei2.jpg", color=True)
    (folder / "kavsir_bboxes.json").write_text(json.dumps({noisy.stem: {"height": 40, "width": 48, "bbox": []}}))
    return folder


def cvc_clinicdb(root):
    folder = root / "CVC-ClinicDB"
    png(folder / "Original" / "1.tif", color=True)
    mask(folder / "Ground Truth" / "1.tif")
    return folder


def busi(root):
    folder = root / "Dataset_BUSI_with_GT"
    for kind in ("benign", "malignant", "normal"):
        png(folder / kind / f"{kind} (1).png")
        mask(folder / kind / f"{kind} (1)_mask.png", value=0 if kind == "normal" else 255)
    return folder


def ddti(root):
    folder = root / "DDTI"
    png(folder / "p_image" / "1.PNG")
    mask(folder / "p_mask" / "1.PNG")
    return folder


def nih_cxr14(root):
    folder = root / "NIH-CXR14"
    png(folder / "images" / "00000001_000.png", (64, 64))
    png(folder / "images" / "00000003_000.png", (64, 64))
    (folder / "Data_Entry_2017_v2020.csv").write_text(
        "Image Index,Finding Labels,Follow-up #,Patient ID,Patient Age,Patient Gender,View Position,"
        "OriginalImage[Width,Height],OriginalImagePixelSpacing[x,y]\n"
        "00000001_000.png,Cardiomegaly|Effusion,0,1,57,M,PA,2682,2749,0.143,0.143\n"
        "00000003_000.png,Hernia|Mass,0,3,81,F,AP,2582,2991,0.143,0.143\n")
    (folder / "BBox_List_2017.csv").write_text("Image Index,Finding Label,Bbox [x,y,w,h],,,\n"
                                               "00000001_000.png,Cardiomegaly,300,400,200,150\n")
    return folder


def chexpert(root):
    folder = root / "CheXpert-v1.0-small"
    columns = ["Path", "Sex", "Age", "Frontal/Lateral", "AP/PA", "No Finding", "Enlarged Cardiomediastinum",
               "Cardiomegaly", "Lung Opacity", "Lung Lesion", "Edema", "Consolidation", "Pneumonia", "Atelectasis",
               "Pneumothorax", "Pleural Effusion", "Pleural Other", "Fracture", "Support Devices"]
    rows = []
    for patient, values in (("patient00001", {"Edema": "1.0", "Cardiomegaly": "-1.0"}),
                            ("patient00002", {"Pleural Effusion": "1.0", "Fracture": "0.0"}),
                            ("patient00003", {"Fracture": "1.0"})):
        relative = f"train/{patient}/study1/view1_frontal.jpg"
        png(folder / relative, (48, 48))
        row = {c: "" for c in columns} | {"Path": f"CheXpert-v1.0-small/{relative}", "Sex": "Female", "Age": "68",
                                           "Frontal/Lateral": "Frontal", "AP/PA": "AP"} | values
        rows.append(",".join(row[c] for c in columns))
    (folder / "train.csv").write_text(",".join(columns) + "\n" + "\n".join(rows) + "\n")
    return folder


def siim_acr(root):
    folder = root / "siim-acr-pneumothorax"
    png(folder / "png_images" / "0_train_1_.png", (64, 64))
    mask(folder / "png_masks" / "0_train_1_.png", (64, 64))
    return folder


def tbx11k(root):
    folder = root / "TBX11K"
    png(folder / "imgs" / "tb" / "tb0003.png", (64, 64))
    png(folder / "imgs" / "health" / "h0001.png", (64, 64))
    (folder / "annotations" / "json").mkdir(parents=True)
    (folder / "annotations" / "json" / "TBX11K_train.json").write_text(json.dumps({
        "images": [{"id": 1, "file_name": "tb/tb0003.png", "width": 64, "height": 64},
                   {"id": 2, "file_name": "health/h0001.png", "width": 64, "height": 64}],
        "categories": [{"id": 1, "name": "ActiveTuberculosis"}, {"id": 2, "name": "ObsoletePulmonaryTuberculosis"}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [10, 12, 20, 18], "area": 360,
                         "iscrowd": 0}]}))
    return folder


def qata_cov19(root):
    folder = root / "QaTa-COV19-v2"
    png(folder / "Train Set" / "Images" / "covid_1.png", (64, 64))
    mask(folder / "Train Set" / "Ground-truths" / "mask_covid_1.png", (64, 64))
    return folder


def nct_crc_he(root):
    folder = root / "NCT-CRC-HE-100K"
    for label in ("ADI", "STR", "TUM"):
        png(folder / label / f"{label}-AAAWMSFI.tif", (32, 32), color=True)
    return folder


def drive(root):
    folder = root / "DRIVE"
    png(folder / "training" / "images" / "21_training.tif", color=True)
    mask(folder / "training" / "1st_manual" / "21_manual1.gif")
    mask(folder / "training" / "mask" / "21_training_mask.gif", box=(0, 0, 40, 48))
    return folder


def idrid(root):
    folder = root / "A. Segmentation"
    png(folder / "1. Original Images" / "a. Training Set" / "IDRiD_01.jpg", color=True)
    truth = folder / "2. All Segmentation Groundtruths" / "a. Training Set"
    for index, (kind, code) in enumerate((("1. Microaneurysms", "MA"), ("2. Haemorrhages", "HE"),
                                          ("5. Optic Disc", "OD"))):
        mask(truth / kind / f"IDRiD_01_{code}.tif", box=(2 + index * 10, 2, 8 + index * 10, 12))
    return folder


def refuge(root):
    folder = root / "REFUGE"
    png(folder / "Training400" / "Glaucoma" / "g0001.jpg", color=True)
    refuge_mask = np.full((40, 48), 255, np.uint8)
    refuge_mask[10:30, 10:34] = 128
    refuge_mask[15:25, 16:28] = 0
    png(folder / "Annotation-Training400" / "Disc_Cup_Masks" / "Glaucoma" / "g0001.bmp", value=refuge_mask)
    return folder


def vindr_cxr(root):
    """VinDr-CXR as on Kaggle: train/<image_id>.dicom (MONOCHROME1 DX) and train.csv, three readers per image."""
    import pydicom
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    folder = root / "vinbigdata-chest-xray-abnormalities-detection"
    (folder / "train").mkdir(parents=True)
    for image_id in ("000434271f63a053c4128a0ba6352c7f", "9a5094b2563a1ef3ff50dc5c7ff71345"):
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.1.1"
        meta.MediaStorageSOPInstanceUID = generate_uid()
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        dataset = FileDataset(str(folder / "train" / f"{image_id}.dicom"), {}, file_meta=meta, preamble=b"\0" * 128)
        dataset.SOPClassUID, dataset.SOPInstanceUID = meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID
        dataset.StudyInstanceUID, dataset.SeriesInstanceUID = generate_uid(), generate_uid()
        dataset.Modality, dataset.PatientSex = "DX", "F"
        dataset.Rows, dataset.Columns = 64, 64
        dataset.SamplesPerPixel, dataset.PhotometricInterpretation = 1, "MONOCHROME1"
        dataset.BitsAllocated, dataset.BitsStored, dataset.HighBit, dataset.PixelRepresentation = 16, 12, 11, 0
        dataset.ImagerPixelSpacing = [0.175, 0.175]
        dataset.PixelData = RNG.integers(0, 4095, (64, 64), dtype=np.uint16).tobytes()
        pydicom.dcmwrite(dataset.filename, dataset, enforce_file_format=True)
    (folder / "train.csv").write_text(
        "image_id,class_name,class_id,rad_id,x_min,y_min,x_max,y_max\n"
        "000434271f63a053c4128a0ba6352c7f,Aortic enlargement,0,R10,30.0,10.0,40.0,20.0\n"
        "000434271f63a053c4128a0ba6352c7f,Nodule/Mass,8,R9,5.0,40.0,12.0,47.0\n"
        "9a5094b2563a1ef3ff50dc5c7ff71345,No finding,14,R7,,,,\n")
    return folder


def pannuke(root):
    """PanNuke fold 1: float64 RGB tiles, six instance channels (last: background), tissue names."""
    folder = root / "Fold 1"
    (folder / "images" / "fold1").mkdir(parents=True)
    (folder / "masks" / "fold1").mkdir(parents=True)
    images = RNG.uniform(0, 255, (2, 32, 32, 3))
    masks = np.zeros((2, 32, 32, 6))
    masks[0, 4:10, 4:10, 0] = 3  # a neoplastic nucleus, instance 3
    masks[0, 20:26, 20:26, 1] = 7  # an inflammatory nucleus
    masks[1, 5:9, 5:9, 4] = 2  # an epithelial nucleus
    masks[..., 5] = (masks[..., :5].sum(axis=-1) == 0).astype(float)  # background channel
    np.save(folder / "images" / "fold1" / "images.npy", images)
    np.save(folder / "masks" / "fold1" / "masks.npy", masks)
    np.save(folder / "images" / "fold1" / "types.npy", np.array(["Breast", "Colon"]))
    return folder


MSD_TASKS = {
    "msd_task01_braintumour": ("Task01_BrainTumour", "MRI", {"0": "background", "1": "edema",
                                                              "2": "non-enhancing tumor", "3": "enhancing tumour"}, 4),
    "msd_task02_heart": ("Task02_Heart", "MRI", {"0": "background", "1": "left atrium"}, 0),
    "msd_task03_liver": ("Task03_Liver", "CT", {"0": "background", "1": "liver", "2": "cancer"}, 0),
    "msd_task04_hippocampus": ("Task04_Hippocampus", "MRI", {"0": "background", "1": "Anterior", "2": "Posterior"}, 0),
    "msd_task05_prostate": ("Task05_Prostate", "MRI", {"0": "background", "1": "PZ", "2": "TZ"}, 2),
    "msd_task06_lung": ("Task06_Lung", "CT", {"0": "background", "1": "cancer"}, 0),
    "msd_task07_pancreas": ("Task07_Pancreas", "CT", {"0": "background", "1": "pancreas", "2": "cancer"}, 0),
    "msd_task08_hepaticvessel": ("Task08_HepaticVessel", "CT", {"0": "background", "1": "Vessel", "2": "Tumour"}, 0),
    "msd_task09_spleen": ("Task09_Spleen", "CT", {"0": "background", "1": "spleen"}, 0),
    "msd_task10_colon": ("Task10_Colon", "CT", {"0": "background", "1": "colon cancer primaries"}, 0),
}

BUILDERS = {name: fn for name, fn in globals().items() if callable(fn) and name in {
    "amos", "btcv", "kits23", "lits", "flare22", "brats2023", "brats2021", "totalsegmentator", "uls23", "acdc",
    "isic2018", "ham10000", "kvasir_seg", "cvc_clinicdb", "busi", "ddti", "nih_cxr14", "chexpert", "siim_acr",
    "tbx11k", "qata_cov19", "nct_crc_he", "drive", "idrid", "refuge", "vindr_cxr", "pannuke"}}
for _name, (_task, _modality, _labels, _channels) in MSD_TASKS.items():
    BUILDERS[_name] = (lambda task, modality, labels, channels: lambda root: msd(root, task, modality, labels,
                                                                               channels))(_task, _modality, _labels,
                                                                                          _channels)
