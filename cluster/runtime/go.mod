module svclab.local/runtime

go 1.22
