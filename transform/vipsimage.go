package transform

// #cgo pkg-config: vips
// #include <stdlib.h>
// #include <vips/vips.h>
//
// static void pixmill_kill(VipsImage *im) { vips_image_set_kill(im, TRUE); }
// static void pixmill_ref(VipsImage *im) { g_object_ref(im); }
// static void pixmill_unref(VipsImage *im) { g_object_unref(im); }
import "C"

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/davidbyttow/govips/v2/vips"
)

// govips 2.16 keeps an ImageRef's *C.VipsImage in an unexported field and
// offers no accessor, yet two fixes need the C image: stopping libvips when
// a render's context ends (vips_image_set_kill) and computing pixels into
// memory with their metadata (vips_image_copy_memory), which govips lacks.
// The field is found by name and type once; TestGovipsImageField fails
// loudly if a govips upgrade moves or renames it, and until then both
// features refuse to run rather than guess.
var imageField = func() (off uintptr, ok bool) {
	f, found := reflect.TypeFor[vips.ImageRef]().FieldByName("image")
	if !found || f.Type.Kind() != reflect.Pointer || !strings.Contains(f.Type.Elem().Name(), "VipsImage") {
		return 0, false
	}
	return f.Offset, true
}

var imageOffset, imageOffsetOK = imageField()

var errGovipsLayout = errors.New("govips ImageRef has no image field: update transform/vipsimage.go")

// cImage is the VipsImage behind img. Only the goroutine that owns img may
// call it: govips replaces the pointer on every operation.
func cImage(img *vips.ImageRef) *C.VipsImage {
	if !imageOffsetOK || img == nil {
		return nil
	}
	return *(**C.VipsImage)(unsafe.Add(unsafe.Pointer(img), imageOffset))
}

// copyToMemory computes img's pixels into memory and makes img hold them,
// with every header field and metadata item (page height, EXIF, ICC) kept:
// what a TIFF round trip cannot do for animations and EXIF. A decode
// failure upstream is returned here, before any encoder starts.
func copyToMemory(img *vips.ImageRef) error {
	in := cImage(img)
	if in == nil {
		return errGovipsLayout
	}
	out := C.vips_image_copy_memory(in)
	if out == nil {
		return undecodable(vipsError("vips_image_copy_memory"))
	}
	if out == in { // already in memory: copy_memory only added a reference
		C.pixmill_unref(out)
		return nil
	}
	// As govips' own setImage does: swap in the new image, drop the old.
	*(**C.VipsImage)(unsafe.Add(unsafe.Pointer(img), imageOffset)) = out
	C.pixmill_unref(in)
	return nil
}

// vipsError reads libvips' error buffer. The buffer is shared by the whole
// process, so the text may mix in another request's message: it is for
// logs only, never for a decision.
func vipsError(op string) error {
	msg := strings.TrimSpace(C.GoString(C.vips_error_buffer()))
	C.vips_error_clear()
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	return fmt.Errorf("%s: %s", op, msg)
}

// killer stops libvips work on a render's images once its context ends.
//
// libvips checks an image's kill flag each time a region of it is prepared
// (vips_region_prepare) and in its sinks' progress loop, and a thread that
// sees the flag clears it as it fails, so the flag is set again every
// killEvery until the render returns. It is set on every image the render
// has produced so far (each step's result, all upstream of what is being
// computed): any of them stops the pipeline at its next tile, and the
// upstream ones stop a slow operation (a wide blur) between its own tiles.
// The killer holds a reference to each image, so that setting the flag
// never races with govips freeing one.
type killer struct {
	mu      sync.Mutex
	images  []*C.VipsImage
	stopped chan struct{}
	exited  chan struct{}
}

const killEvery = 5 * time.Millisecond

// watchKill starts a killer for a render that ends when done is closed.
func watchKill(done <-chan struct{}) *killer {
	k := &killer{stopped: make(chan struct{}), exited: make(chan struct{})}
	go func() {
		defer close(k.exited)
		select {
		case <-k.stopped:
			return
		case <-done:
		}
		t := time.NewTicker(killEvery)
		defer t.Stop()
		for {
			k.mu.Lock()
			for _, im := range k.images {
				C.pixmill_kill(im)
			}
			k.mu.Unlock()
			select {
			case <-k.stopped:
				return
			case <-t.C:
			}
		}
	}()
	return k
}

// track adds img's current image to those the killer stops. The caller
// owns img.
func (k *killer) track(img *vips.ImageRef) {
	if k == nil {
		return
	}
	im := cImage(img)
	if im == nil {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, have := range k.images {
		if have == im {
			return
		}
	}
	C.pixmill_ref(im)
	k.images = append(k.images, im)
}

// reset forgets the tracked images, so that a pipeline replaced by its
// materialized pixels can be freed, and tracks img alone (if not nil).
func (k *killer) reset(img *vips.ImageRef) {
	if k == nil {
		return
	}
	k.release()
	k.track(img)
}

func (k *killer) release() {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, im := range k.images {
		C.pixmill_unref(im)
	}
	k.images = nil
}

// stop ends the watch and drops the references; call it once the render
// has returned.
func (k *killer) stop() {
	if k == nil {
		return
	}
	close(k.stopped)
	<-k.exited
	k.release()
}

// cImageSize reads the size from the C image itself, for the layout guard.
func cImageSize(img *vips.ImageRef) (int, int) {
	im := cImage(img)
	if im == nil {
		return 0, 0
	}
	return int(C.vips_image_get_width(im)), int(C.vips_image_get_height(im))
}

// setBlob sets a metadata blob on img (a copy of data). govips 2.16's
// SetBlob passes a pointer to the slice header instead of the bytes, which
// cgo refuses with a panic.
func setBlob(img *vips.ImageRef, name string, data []byte) error {
	in := cImage(img)
	if in == nil {
		return errGovipsLayout
	}
	if len(data) == 0 {
		return nil
	}
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	C.vips_image_set_blob_copy(in, cname, unsafe.Pointer(&data[0]), C.size_t(len(data)))
	return nil
}
