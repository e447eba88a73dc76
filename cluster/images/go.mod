module svclab.local/images

go 1.24
