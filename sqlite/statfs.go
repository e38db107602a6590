//go:build linux || darwin

package sqlite

import "syscall"

// diskSpace returns the free space (for this process's user) and the size of
// the file system that holds dir.
func diskSpace(dir string) (fsSpace, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return fsSpace{}, err
	}
	return fsSpace{avail: uint64(st.Bavail) * uint64(st.Bsize), size: uint64(st.Blocks) * uint64(st.Bsize)}, nil
}
