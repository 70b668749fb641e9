"""Image folders too large for memory: images stay on disk and are decoded batch by batch by
DataLoader workers, in the order the training loop's seeded ``randperm`` asks for.

A :class:`LazyImages` stands where a split's uint8 image tensor would be. Indexing it decodes
(``x[idx]``); ``subset`` narrows it without decoding (the train/val split); ``stream`` decodes
a whole list of index batches ahead, in worker processes. Everything else is unchanged, so a
streamed run sees exactly the data, and gets exactly the metrics, of an in-memory run.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from rdfia_tui.engine.data.images import read_image
from rdfia_tui.engine.errors import DataError

Index = torch.Tensor | slice


class ImageFiles(Dataset):
    """Item i: the i-th file as a (C, H, W) uint8 tensor, checked against the expected shape."""

    def __init__(self, files: Sequence[Path], size: int, shape: tuple[int, int, int]) -> None:
        self.files, self.size, self.shape = list(files), size, shape

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int) -> torch.Tensor:
        array = read_image(self.files[i], self.size)
        if array.shape != (self.shape[1], self.shape[2], self.shape[0]):
            got, want = f"{array.shape[1]}×{array.shape[0]}", f"{self.shape[2]}×{self.shape[1]}"
            raise DataError(f"{self.files[i]}: is {got}, not {want} like the first image; set data.image_size to resize them")
        return torch.from_numpy(np.ascontiguousarray(array.transpose(2, 0, 1)))


class LazyImages:
    """A (N, C, H, W) uint8 'tensor' whose rows are image files, decoded when indexed."""

    dtype = torch.uint8

    def __init__(self, files: ImageFiles, rows: torch.Tensor, device: torch.device, workers: int) -> None:
        self.files, self.rows, self.device, self.workers = files, rows, device, workers

    @property
    def shape(self) -> torch.Size:
        """(N, C, H, W), as the uint8 tensor's shape would be; nothing is decoded."""
        return torch.Size((len(self.rows), *self.files.shape))

    def __len__(self) -> int:
        return len(self.rows)

    def dim(self) -> int:
        """4, as for an (N, C, H, W) image tensor."""
        return 4

    def subset(self, idx: torch.Tensor) -> LazyImages:
        """The rows ``idx`` (a 1-D index tensor), still on disk: nothing is decoded."""
        return LazyImages(self.files, self.rows[idx.cpu()], self.device, self.workers)

    def to(self, device: torch.device | str) -> LazyImages:
        """The same rows, decoded onto ``device`` when indexed; nothing moves now."""
        return LazyImages(self.files, self.rows, torch.device(device), self.workers)

    def contiguous(self) -> LazyImages:
        """Itself: nothing is in memory until rows are decoded."""
        return self

    def _file_rows(self, idx: Index) -> list[int]:
        return self.rows[idx.cpu() if isinstance(idx, torch.Tensor) else idx].tolist()

    def __getitem__(self, idx: Index) -> torch.Tensor:
        """Decode these rows here, in this process."""
        rows = self._file_rows(idx)
        if not rows:
            return torch.empty((0, *self.files.shape), dtype=torch.uint8, device=self.device)
        return torch.stack([self.files[r] for r in rows]).to(self.device)

    def stream(self, batches: Sequence[Index]) -> Iterator[torch.Tensor]:
        """Decode every batch ahead in worker processes; yields them in order, on the device."""
        pin = self.device.type == "cuda"
        loader = DataLoader(
            self.files,
            batch_sampler=[self._file_rows(b) for b in batches],
            num_workers=self.workers,
            pin_memory=pin,
            prefetch_factor=4 if self.workers else None,
        )
        try:
            for x in loader:
                yield x.to(self.device, non_blocking=pin)
        except DataError as exc:  # from a worker, the message carries the worker's traceback: keep its last line
            last = str(exc).strip().splitlines()[-1]
            raise DataError(last.split("DataError: ", 1)[-1]) from None


def batches_of(x: torch.Tensor | LazyImages, batches: Sequence[Index]) -> Iterator[torch.Tensor]:
    """The inputs of each index batch: indexed in memory, or streamed from disk."""
    if isinstance(x, LazyImages):
        yield from x.stream(batches)
    else:
        for idx in batches:
            yield x[idx]


def take(x: torch.Tensor | LazyImages, idx: torch.Tensor) -> torch.Tensor | LazyImages:
    """Rows ``idx`` of the stored inputs, without decoding streamed images."""
    return x.subset(idx) if isinstance(x, LazyImages) else x[idx]
