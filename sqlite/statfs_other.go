//go:build !(linux || darwin)

package sqlite

func diskSpace(string) (fsSpace, error) { return fsSpace{}, errNoStatfs }
